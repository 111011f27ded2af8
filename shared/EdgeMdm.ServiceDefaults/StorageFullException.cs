namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// Thrown by a host's storage when a write failed because the disk (or the database's quota) is full. The request
/// that hit it is answered 503 with <c>Retry-After</c> by <see cref="RequestFaultHandler"/>: the client did nothing
/// wrong and may succeed later, once an operator frees space or the cache evicts.
/// </summary>
public sealed class StorageFullException : IOException
{
    public StorageFullException()
        : base("storage is full")
    {
    }

    public StorageFullException(string message)
        : base(message)
    {
    }

    public StorageFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
