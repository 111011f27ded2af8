using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EdgeMdm.Domain.Security;

/// <summary>
/// A password in the format of Mosquitto 2's password file, <c>$7$ITERATIONS$SALT$HASH</c> (PBKDF2-HMAC-SHA512, 12-byte
/// salt, 64-byte hash, base64), as <c>mosquitto_passwd</c> writes it. Used for an external broker: the appliance makes
/// one for each secret it hands out (devices at enrollment, cradles and tools at creation), the only moment it holds the
/// clear secret. Mosquitto's own default of 101 iterations is kept: the secrets are 192 to 256 random bits, which no
/// iteration count makes harder to guess.
/// </summary>
public static class MosquittoPasswordHash
{
    public const int Iterations = 101;

    public static string Create(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var salt = RandomNumberGenerator.GetBytes(12);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(secret), salt, Iterations, HashAlgorithmName.SHA512, 64);
        return "$7$" + Iterations.ToString(CultureInfo.InvariantCulture) + "$" + Convert.ToBase64String(salt) + "$" + Convert.ToBase64String(hash);
    }
}
