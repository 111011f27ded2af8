namespace EdgeMdm.ServiceDefaults.WebPages;

/// <summary>One bar of a chart: its label, its value, and a tone for its colour (ok, warn, bad, none).</summary>
public sealed record ChartBar(string Label, int Value, string Tone = "none");
