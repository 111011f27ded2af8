namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// Thrown by a host's storage when its database cannot serve right now, for a reason that is neither the caller's fault
/// nor the server's bug: no pooled connection free within the pool's wait, the database server refusing connections
/// (too many, starting up, shutting down), a connection that could not be opened or broke, a statement or lock wait past
/// the database's own timeout, an embedded database locked by another writer past its busy timeout. A request that hits
/// it is answered 503 with <c>Retry-After</c> (<see cref="RequestFaultHandler"/>), a sync call UNAVAILABLE with a retry
/// hint: the caller may succeed a little later, unchanged.
/// </summary>
/// <remarks>
/// Its <see cref="Exception.Message"/> is a short fixed reason fit for any caller (it names no host, file or query); the
/// backend's own exception, which an operator needs (Npgsql's names the setting to raise), is the inner one, and
/// <see cref="Detail"/> says both. Not an <see cref="IOException"/> (unlike <see cref="StorageFullException"/>): code
/// that takes an IOException for a cut client stream must not take this for one.
/// </remarks>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException()
        : base("the database is unavailable")
    {
    }

    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>For the server's log: the reason and the backend's own words.</summary>
    public string Detail => InnerException is null ? Message : Message + ": " + InnerException.Message;
}

/// <summary>The faults of a host's storage that are answered "retry later" rather than as the server's bugs.</summary>
public static class StoreFaults
{
    /// <summary>
    /// The first <see cref="StoreUnavailableException"/> or <see cref="StorageFullException"/> in the chain of inner
    /// exceptions (a store may wrap one in its own: a failed unit of work), or null.
    /// </summary>
    public static Exception? Of(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is StoreUnavailableException or StorageFullException)
                return current;
        }

        return null;
    }
}
