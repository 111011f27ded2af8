namespace EdgeMdm.Domain.Outcomes;

/// <summary>Why a request was refused; an adapter maps the kind to its own status (HTTP, CLI exit code).</summary>
public enum RefusalKind
{
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,

    /// <summary>Well-formed but contradicting what the appliance holds (a step its plan does not have): 422.</summary>
    Unprocessable,
}

/// <param name="Kind">What the adapter answers with (403, 404, ...).</param>
/// <param name="Title">A short, stable summary.</param>
/// <param name="Detail">What happened, for a person.</param>
public sealed record Refusal(RefusalKind Kind, string Title, string Detail)
{
    /// <summary>The RFC 9457 problem type (a URI) when the refusal has one of its own; null: the status code's default.</summary>
    public string? Type { get; init; }
}

/// <summary>Either a value or the reason there is none.</summary>
public sealed record Outcome<T>(T? Value, Refusal? Refusal)
    where T : class
{
    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(Refusal refusal) => new(null, refusal);
}
