using System.Globalization;

namespace EdgeMdm.Domain.Drift;

/// <summary>
/// Compares dotted OS versions ("13", "13.0.1", "14") number by number; a missing part counts as 0 and a
/// part that is not a number sorts below every number (and ordinally among text), so "14-beta" never
/// passes a floor of "14".
/// </summary>
public static class VersionComparer
{
    public static int Compare(string left, string right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        var a = left.Split('.');
        var b = right.Split('.');
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var x = i < a.Length ? a[i] : "0";
            var y = i < b.Length ? b[i] : "0";
            var xIsNumber = long.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var xn);
            var yIsNumber = long.TryParse(y, NumberStyles.None, CultureInfo.InvariantCulture, out var yn);
            var order = (xIsNumber, yIsNumber) switch
            {
                (true, true) => xn.CompareTo(yn),
                (true, false) => 1,
                (false, true) => -1,
                _ => string.CompareOrdinal(x, y),
            };
            if (order != 0)
                return order;
        }

        return 0;
    }
}
