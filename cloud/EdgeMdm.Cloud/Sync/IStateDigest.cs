namespace EdgeMdm.Cloud.Sync;

/// <summary>The proof that sync is exactly-once: a digest of what sites made the hub hold.</summary>
public interface IStateDigest
{
    /// <summary>
    /// Lowercase hex SHA-256 over a canonical dump of all site data the hub holds (applied_through, devices,
    /// transitions, command statuses, feeds), leaving out wall-clock times of the hub's own. Two deliveries of
    /// the same changes, however faulty, must give the same digest.
    /// </summary>
    Task<string> StateDigestAsync(CancellationToken cancellationToken = default);
}
