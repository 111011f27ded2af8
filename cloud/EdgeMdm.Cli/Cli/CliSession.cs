using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EdgeMdm.Cli.Credentials;
using EdgeMdm.Cli.Hub;

namespace EdgeMdm.Cli;

/// <summary>One invocation: where output goes, the environment, and the options every command shares.</summary>
internal sealed class CliSession(TextWriter output, TextWriter errors, TextReader? input, Func<string, string?> environment, TimeProvider time)
{
    private const string NotSignedIn = "not signed in: run 'edgemdm login --server URL --user NAME' (or --token T)";

    public TextWriter Output => output;

    /// <summary>The clock reports measure staleness against.</summary>
    public TimeProvider Clock => time;

    /// <summary>The environment this invocation reads (a blueprints file's <c>{env: NAME}</c> secrets among others).</summary>
    public Func<string, string?> Environment => environment;

    public Option<string> Server { get; } = new("--server")
    {
        Description = $"hub URL (default: $EDGEMDM_SERVER, the credential file, or {AdminCli.DefaultServer})",
        Recursive = true,
    };

    public Option<string> Token { get; } = new("--token")
    {
        Description = "API token (default: $EDGEMDM_TOKEN or the credential file)",
        Recursive = true,
    };

    public Option<string> Credentials { get; } = new("--credentials")
    {
        Description = "credential file (default: $EDGEMDM_CREDENTIALS or ~/.config/edgemdm/credentials.json)",
        Recursive = true,
    };

    /// <summary>
    /// A client for the hub named by <c>--server</c>, <c>EDGEMDM_SERVER</c> or the credential file, with the token
    /// from <c>--token</c>, <c>EDGEMDM_TOKEN</c> or the credential file. Refused when there is no token.
    /// </summary>
    public HubClient Connect(ParseResult result, TimeSpan? timeout = null)
    {
        var server = NonEmpty(result.GetValue(Server)) ?? NonEmpty(environment("EDGEMDM_SERVER"));
        var token = NonEmpty(result.GetValue(Token)) ?? NonEmpty(environment("EDGEMDM_TOKEN"));
        if (server is null || token is null)
        {
            var stored = CredentialFile.Read(CredentialsPath(result));
            server ??= stored?.Server;
            if (token is null && stored?.ExpiresAt is { } expiresAt && expiresAt <= time.GetUtcNow())
                throw new CliException($"your sign-in to {stored.Server} expired at {Time(expiresAt)}: run 'edgemdm login --server {stored.Server} --user NAME' again");
            token ??= stored?.Token;
        }

        if (token is null)
            throw new CliException(NotSignedIn);
        return new HubClient(ServerUri(server ?? AdminCli.DefaultServer), token, timeout: timeout);
    }

    public string CredentialsPath(ParseResult result) =>
        NonEmpty(result.GetValue(Credentials)) ?? NonEmpty(environment("EDGEMDM_CREDENTIALS")) ?? CredentialFile.DefaultPath(environment);

    /// <summary>JSON for scripts when --json is given, otherwise the human form.</summary>
    public int Print<T>(ParseResult result, Option<bool> json, T value, JsonTypeInfo<T> typeInfo, Action human)
    {
        if (result.GetValue(json))
            output.WriteLine(JsonSerializer.Serialize(value, typeInfo));
        else
            human();
        return 0;
    }

    /// <summary>
    /// The password from the first line of standard input with <c>--password-stdin</c>, otherwise typed at
    /// the terminal without echo. Refused when there is neither: a password must never be a command-line
    /// argument, where every user of the machine can read it.
    /// </summary>
    public async Task<string> ReadPasswordAsync(bool fromStdin, string prompt)
    {
        string? password;
        if (fromStdin)
        {
            password = await (input ?? Console.In).ReadLineAsync();
        }
        else if (input is null && !Console.IsInputRedirected)
        {
            await errors.WriteAsync(prompt);
            password = ReadHidden();
            await errors.WriteLineAsync();
        }
        else
        {
            throw new CliException("standard input is not a terminal: give --password-stdin to read the password from it", 2);
        }

        return string.IsNullOrEmpty(password) ? throw new CliException("the password is empty", 2) : password;
    }

    /// <summary>A password the hub generated, if it did: printed this once, for the person to hand over.</summary>
    public void WriteGeneratedPassword(string? password)
    {
        if (password is null)
            return;
        output.WriteLine($"password  {password}");
        output.WriteLine("Hand the password over now: it will not be shown again.");
    }

    /// <summary>A line typed at the terminal, not echoed.</summary>
    private static string ReadHidden()
    {
        var typed = new StringBuilder();
        for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        {
            if (key.Key == ConsoleKey.Backspace)
            {
                if (typed.Length > 0)
                    typed.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                typed.Append(key.KeyChar);
            }
        }

        return typed.ToString();
    }
}
