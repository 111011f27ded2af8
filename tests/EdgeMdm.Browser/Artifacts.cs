using System.Text.RegularExpressions;

namespace EdgeMdm.Browser;

/// <summary>Where the browser tests leave what a person looks at afterwards: <c>artifacts/browser/</c> at the repository's root.</summary>
internal static partial class Artifacts
{
    public static string Directory { get; } = Path.Combine(Repository.Root, "artifacts", "browser");

    /// <summary><c>artifacts/browser/NAME.png</c>, with anything but letters, digits, dot, dash and underscore made a dash.</summary>
    public static string Screenshot(string name) => File(name + ".png");

    /// <summary><c>artifacts/browser/NAME</c> (a printed PDF, a page's HTML), the folder made when missing.</summary>
    public static string File(string name)
    {
        System.IO.Directory.CreateDirectory(Directory);
        return Path.Combine(Directory, Unsafe().Replace(name, "-"));
    }

    [GeneratedRegex("[^A-Za-z0-9._-]", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Unsafe();
}
