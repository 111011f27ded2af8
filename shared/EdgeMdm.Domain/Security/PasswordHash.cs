using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EdgeMdm.Domain.Security;

/// <summary>
/// Password hashes for people (central IT accounts at the hub, site users at the appliance): salted
/// PBKDF2-HMAC-SHA256 in a self-describing string, <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (salt and hash in
/// base64), so the iteration count can grow later without invalidating stored hashes. Device secrets and
/// tokens are random 256-bit values and keep their plain SHA-256: a slow KDF only protects guessable secrets.
/// </summary>
public static class PasswordHash
{
    public const string Algorithm = "pbkdf2-sha256";

    /// <summary>OWASP's 2023 figure for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>Shortest password accepted for an account or a site user.</summary>
    public const int MinPasswordLength = 10;

    /// <summary>Longest password accepted: PBKDF2 hashes the whole input on every iteration.</summary>
    public const int MaxPasswordLength = 256;

    // A stored hash naming more iterations than this is refused rather than computed: a tampered or corrupt
    // row must not turn one sign-in into minutes of CPU.
    private const int MaxIterations = 10_000_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    // Per iteration count, the hash of a generated password nobody holds: what a name with no hash is checked against.
    private static readonly ConcurrentDictionary<int, string> Decoys = new();

    /// <summary>Hashes <paramref name="password"/> with a fresh random salt.</summary>
    public static string Create(string password, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Join('$', Algorithm, iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    /// <summary>
    /// Whether <paramref name="password"/> is the one <paramref name="stored"/> was made from, compared in
    /// constant time. A stored value that is not a hash of this format (empty, another algorithm, corrupt)
    /// verifies nothing.
    /// </summary>
    public static bool Verify(string password, string stored)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (!TryParse(stored, out var iterations, out var salt, out var expected))
            return false;
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>
    /// Whether <paramref name="password"/> is the one <paramref name="stored"/> was made from, where <paramref name="stored"/>
    /// is the hash of the account a name was looked up to, or null when there is no such account (never verified).
    /// A missing account costs the same PBKDF2 work (<paramref name="iterations"/>, as its store hashes with), so how
    /// long a refusal takes does not tell which names exist.
    /// </summary>
    public static bool VerifyFound(string password, string? stored, int iterations = DefaultIterations)
    {
        var verified = Verify(password, stored ?? Decoys.GetOrAdd(iterations, count => Create(GeneratedPassword.New(), count)));
        return verified && stored is not null;
    }

    /// <summary>Whether <paramref name="stored"/> is a hash this class can verify (used to refuse garbage before storing it).</summary>
    public static bool IsWellFormed(string? stored) => TryParse(stored, out _, out _, out _);

    private static bool TryParse(string? stored, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = [];
        hash = [];
        var parts = stored?.Split('$');
        if (parts is not [Algorithm, var iterationText, var saltText, var hashText])
            return false;
        if (!int.TryParse(iterationText, NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations is < 1 or > MaxIterations)
            return false;
        try
        {
            salt = Convert.FromBase64String(saltText);
            hash = Convert.FromBase64String(hashText);
        }
        catch (FormatException)
        {
            return false;
        }

        return salt.Length > 0 && hash.Length > 0;
    }
}
