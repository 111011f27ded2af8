using System.Text;
using EdgeMdm.Edge.Devices;

namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// The password and ACL files an external Mosquitto reads (<c>password_file</c>, <c>acl_file</c>), built from the
/// appliance's accounts. Pure: the same accounts give the same bytes, so the writer can tell when nothing changed.
/// The ACL gives each client what <see cref="MqttTopics"/> gives it on the embedded broker.
/// </summary>
public static class MosquittoFiles
{
    private const string Header = "# Written by edgemdm-edge from its store; edits here are overwritten.\n";

    public static string PasswordFile(string applianceUser, string applianceHash, IEnumerable<BrokerAccount> accounts)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        var text = new StringBuilder(Header);
        text.Append(applianceUser).Append(':').Append(applianceHash).Append('\n');
        foreach (var account in accounts.Where(a => !string.Equals(a.UserName, applianceUser, StringComparison.Ordinal)))
            text.Append(account.UserName).Append(':').Append(account.BrokerHash).Append('\n');
        return text.ToString();
    }

    public static string AclFile(string applianceUser, IEnumerable<BrokerAccount> accounts)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        var text = new StringBuilder(Header);
        text.Append("# A device (user name = device id) reads its own topics and publishes nothing.\n");
        text.Append("pattern read ").Append(MqttTopics.Root).Append('/').Append(MqttTopics.Devices).Append("/%u/#\n\n");
        text.Append("user ").Append(applianceUser).Append('\n');
        text.Append("topic write ").Append(MqttTopics.Root).Append('/').Append(MqttTopics.Devices).Append("/+/wake\n");
        foreach (var account in accounts)
        {
            var grant = account.Role switch
            {
                MqttClientRoles.Cradle => $"topic readwrite {MqttTopics.Root}/{MqttTopics.Cradles}/{account.UserName}/#",
                MqttClientRoles.Tool => $"topic read {MqttTopics.Root}/{MqttTopics.Cradles}/#",
                _ => null,
            };
            if (grant is not null)
                text.Append("\nuser ").Append(account.UserName).Append('\n').Append(grant).Append('\n');
        }

        return text.ToString();
    }
}
