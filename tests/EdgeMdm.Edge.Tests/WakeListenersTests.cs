namespace EdgeMdm.Edge.Tests;

public sealed class WakeListenersTests
{
    private readonly WakeListeners _listeners = new();

    [Fact]
    public void A_client_subscribed_by_two_filters_is_listed_once_and_listens_until_it_dropped_both()
    {
        _listeners.Subscribed("dev-1", "dev-1", "edgemdm/devices/dev-1/wake");
        _listeners.Subscribed("dev-1", "dev-1", "edgemdm/devices/dev-1/#");
        _listeners.Subscribed("dev-1", "dev-1", "edgemdm/devices/dev-1/#"); // a repeated SUBSCRIBE

        Assert.Equal(["dev-1"], _listeners.ClientsOf("dev-1"));
        _listeners.Unsubscribed("dev-1", "dev-1", "edgemdm/devices/dev-1/#");
        Assert.Equal(["dev-1"], _listeners.ClientsOf("dev-1"));
        _listeners.Unsubscribed("dev-1", "dev-1", "edgemdm/devices/dev-1/wake");
        Assert.Empty(_listeners.ClientsOf("dev-1"));
    }

    [Fact]
    public void Each_connection_of_a_device_listens_on_its_own_and_a_disconnection_ends_only_that_one()
    {
        _listeners.Subscribed("dev-1", "dev-1", "edgemdm/devices/dev-1/wake");
        _listeners.Subscribed("dev-1", "dev-1/diagnostics", "edgemdm/devices/dev-1/wake");
        _listeners.Subscribed("dev-2", "dev-2", "edgemdm/devices/dev-2/wake");

        _listeners.Disconnected("dev-1", "dev-1");

        Assert.Equal(["dev-1/diagnostics"], _listeners.ClientsOf("dev-1"));
        Assert.Equal(["dev-2"], _listeners.ClientsOf("dev-2"));
        Assert.Empty(_listeners.ClientsOf("dev-3"));
    }

    [Fact]
    public void Forgetting_what_was_never_recorded_changes_nothing()
    {
        _listeners.Subscribed("dev-1", "dev-1", "edgemdm/devices/dev-1/wake");

        _listeners.Unsubscribed("dev-1", "dev-1", "edgemdm/devices/dev-1/other");
        _listeners.Unsubscribed("dev-9", "dev-9", "edgemdm/devices/dev-9/wake");
        _listeners.Disconnected("dev-1", "dev-1/other");

        Assert.Equal(["dev-1"], _listeners.ClientsOf("dev-1"));
    }
}
