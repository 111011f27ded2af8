using System.Text;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;

namespace EdgeMdm.Browser;

/// <summary>axe-core, run inside the page as it stands (<c>Deque.AxeCore.Playwright</c>, which carries axe's script: nothing is fetched).</summary>
internal static class Accessibility
{
    private static readonly string[] Refused = ["serious", "critical"];

    /// <summary>
    /// Fails the test on any serious or critical axe violation (labels, names, contrast, keyboard reach, landmarks...),
    /// listing each with the elements it found it on; minor and moderate ones are left to review.
    /// </summary>
    public static Task AssertNoSeriousViolationsAsync(BrowserSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return AssertNoSeriousViolationsAsync(session.Page);
    }

    /// <summary>As above, for another page of the session (a tab a link opened).</summary>
    public static async Task AssertNoSeriousViolationsAsync(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var result = await page.RunAxe();
        var refused = result.Violations.Where(v => Refused.Contains(v.Impact, StringComparer.Ordinal)).ToList();
        Assert.True(refused.Count == 0, Describe(page.Url, refused));
        // A run that looked at nothing would pass anything.
        Assert.NotEmpty(result.Passes);
    }

    /// <summary>One paragraph per violation: rule, impact and help, then each element's selector, markup and what to fix.</summary>
    public static string Describe(string url, IReadOnlyCollection<AxeResultItem> violations)
    {
        ArgumentNullException.ThrowIfNull(violations);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"axe found {violations.Count} serious or critical violation(s) on {url}:");
        foreach (var violation in violations)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n- {violation.Id} ({violation.Impact}): {violation.Help} [{violation.HelpUrl}]");
            foreach (var node in violation.Nodes)
            {
                text.Append(CultureInfo.InvariantCulture, $"\n    at {node.Target}: {node.Html}");
                // What axe's own failure summary says: fix one of "any", fix every one of "all" and "none".
                foreach (var check in (node.Any ?? []).Concat(node.All ?? []).Concat(node.None ?? []))
                    text.Append(CultureInfo.InvariantCulture, $"\n      {check.Message}");
            }
        }

        return text.ToString();
    }
}
