namespace EdgeMdm.Cloud.Storage;

/// <summary>A write that conflicts with what is stored (a site name already taken, an unknown site).</summary>
public sealed class StoreConflictException : Exception
{
    public StoreConflictException() { }

    public StoreConflictException(string message) : base(message) { }

    public StoreConflictException(string message, Exception innerException) : base(message, innerException) { }
}
