using System.Security.Cryptography;

namespace EdgeMdm.Domain.Security;

/// <summary>Passwords the hub makes up when central IT gives none: shown once, so they can be long.</summary>
public static class GeneratedPassword
{
    // No look-alikes (0/O, 1/l/I): people copy these from a terminal onto a sticky note or a handheld.
    private const string Alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    /// <summary>20 characters from a 57-symbol alphabet: about 116 bits.</summary>
    public static string New(int length = 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, PasswordHash.MinPasswordLength);
        return RandomNumberGenerator.GetString(Alphabet, length);
    }
}
