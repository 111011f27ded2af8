using EdgeMdm.Domain.Text;
using System.Globalization;
using System.CommandLine;
using System.CommandLine.Parsing;

namespace EdgeMdm.Agent.Cli;

/// <summary>Options more than one command takes, each parsed and checked where it is declared.</summary>
internal static class CliOptions
{
    public const string DefaultStateFile = "./agent-state.json";

    public static Option<Uri> Server(bool required) => new("--server")
    {
        Description = "The site appliance, e.g. http://10.20.0.5:8080",
        HelpName = "URL",
        Required = required,
        CustomParser = ParseServer,
    };

    /// <summary>The appliance's certificate pin, as <c>edgemdm-edge tls show</c> prints it; normalised to lower case.</summary>
    public static Option<string> Pin() => new("--pin")
    {
        Description = "Accept only the appliance certificate whose key has this SHA-256 (64 hex digits, 'edgemdm-edge tls show' prints it); kept in the state file for later runs",
        HelpName = "HEX",
        CustomParser = ParsePin,
    };

    private static string? ParsePin(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (AgentHttp.IsPin(text))
            return text.ToLowerInvariant();
        result.AddError($"invalid --pin '{text}': expected 64 hex digits (the SHA-256 'edgemdm-edge tls show' prints)");
        return null;
    }

    public static Option<string> Token() => new("--token")
    {
        Description = "Enrollment token issued by the appliance",
        HelpName = "TOKEN",
        Required = true,
    };

    public static Option<string> State() => new("--state")
    {
        Description = "Device state file (credentials, declarations token)",
        HelpName = "FILE",
        DefaultValueFactory = _ => DefaultStateFile,
    };

    public static Option<TimeSpan> Duration(string name, string description, bool required) => new(name)
    {
        Description = description + " (500ms, 20s, 5m, 1h)",
        HelpName = "DURATION",
        Required = required,
        CustomParser = result => ParseDuration(name, result),
    };

    public static Option<int> AtLeastOne(string name, string description, string helpName) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result => ParseAtLeastOne(name, result),
    };

    /// <summary>The wake broker: an mqtts:// (TLS) or mqtt:// URL, or none; absent, the one the enrollment answer gave.</summary>
    public static Option<string> Mqtt() => new("--mqtt")
    {
        Description = "MQTT broker for wakes, mqtts://HOST:PORT (TLS) or mqtt://HOST:PORT, or 'none' to check in on the interval alone (default: the one the appliance gave at enrollment)",
        HelpName = "URL",
        CustomParser = ParseMqtt,
    };

    private static string? ParseMqtt(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (!string.Equals(text, "none", StringComparison.Ordinal) && !WakeListener.IsBrokerUrl(text, out _))
            result.AddError($"invalid --mqtt '{text}': expected mqtts://HOST:PORT, mqtt://HOST:PORT or none");
        return text;
    }

    /// <summary>A share of the fleet: 0 to 1 (0.1) or a percentage (10%).</summary>
    public static Option<double> Fraction(string name, string description) => new(name)
    {
        Description = description + " (0.1 or 10%; default 0)",
        HelpName = "SHARE",
        CustomParser = result => ParseFraction(name, result),
    };

    private static double ParseFraction(string name, ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        var percent = text.EndsWith('%');
        if (double.TryParse(percent ? text[..^1] : text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            value = percent ? value / 100 : value;
            if (value is >= 0 and <= 1)
                return value;
        }

        result.AddError($"invalid {name} '{text}': expected a share between 0 and 1 (0.1) or a percentage (10%)");
        return default;
    }

    private static Uri? ParseServer(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (AgentHttp.TryParseServer(text, out var server))
            return server;
        result.AddError($"invalid --server '{text}': expected an absolute http:// or https:// URL");
        return null;
    }

    private static int ParseAtLeastOne(string name, ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1)
            return value;
        result.AddError($"invalid {name} '{text}': expected a whole number of at least 1");
        return default;
    }

    private static TimeSpan ParseDuration(string name, ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (DurationText.TryParse(text, out var duration) && duration > TimeSpan.Zero)
            return duration;
        result.AddError($"invalid {name} '{text}': expected a positive duration such as 500ms, 20s, 5m or 1h");
        return default;
    }
}
