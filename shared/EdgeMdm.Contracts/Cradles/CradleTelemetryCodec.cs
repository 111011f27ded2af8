using System.Text;

namespace EdgeMdm.Contracts.Cradles;

/// <summary>
/// The payload of a cradle slot's telemetry: one flat JSON object of at most <see cref="MaxPayloadBytes"/> bytes of
/// UTF-8, e.g. <c>{"occupied":true,"content":"device","serial":"S123","battery":87,"charging":true,"fault":null}</c>.
/// <para>
/// Written in the part of C# that .NET nanoFramework runs (no generics, LINQ, reflection, System.Text.Json or Span),
/// so a cradle's firmware reuses this file; <c>CradleCodecTests</c> lists the only framework types it may touch.
/// </para>
/// <para>
/// Decoding never throws: whatever the bytes, it returns the telemetry or null with the reason. It refuses a payload
/// over the size limit before reading it, nesting (objects or arrays as values), a duplicate or over-long key, a known
/// key with a value of the wrong type or out of range, and anything after the object. Unknown keys with a scalar value
/// are skipped (a newer firmware may say more). The parser is a loop over the characters: no recursion.
/// </para>
/// </summary>
public static partial class CradleTelemetryCodec
{
    /// <summary>The largest payload read, in bytes.</summary>
    public const int MaxPayloadBytes = 512;

    /// <summary>The longest serial.</summary>
    public const int MaxSerialLength = 64;

    /// <summary>The longest fault text.</summary>
    public const int MaxFaultLength = 64;

    private const int MaxKeyLength = 32;
    private const int MaxStringLength = 128;

    private const int KindNull = 0;
    private const int KindBool = 1;
    private const int KindNumber = 2;
    private const int KindString = 3;

    /// <summary>The telemetry in <paramref name="payload"/>[<paramref name="offset"/>..+<paramref name="count"/>], or null and <paramref name="error"/>.</summary>
    public static SlotTelemetry? Decode(byte[]? payload, int offset, int count, out string? error)
    {
        if (payload == null || offset < 0 || count < 0 || offset > payload.Length || count > payload.Length - offset)
        {
            error = "no payload";
            return null;
        }

        if (count > MaxPayloadBytes)
        {
            error = "payload over " + Text(MaxPayloadBytes) + " bytes";
            return null;
        }

        var text = Encoding.UTF8.GetString(payload, offset, count);
        var parser = new Parser(text);
        var telemetry = parser.Parse();
        error = parser.Error;
        return telemetry;
    }

    /// <summary>The whole of <paramref name="payload"/>.</summary>
    public static SlotTelemetry? Decode(byte[]? payload, out string? error) =>
        Decode(payload, 0, payload == null ? 0 : payload.Length, out error);

    /// <summary>The payload for <paramref name="telemetry"/>, or null and <paramref name="error"/> when it is not valid telemetry.</summary>
    public static byte[]? Encode(SlotTelemetry? telemetry, out string? error)
    {
        error = Check(telemetry);
        if (error != null || telemetry == null)
            return null;
        var json = new StringBuilder(128);
        json.Append("{\"occupied\":").Append(telemetry.Occupied ? "true" : "false");
        json.Append(",\"content\":");
        AppendString(json, telemetry.Content);
        json.Append(",\"serial\":");
        AppendString(json, telemetry.Serial);
        json.Append(",\"battery\":").Append(telemetry.Battery == SlotTelemetry.NoBattery ? "null" : Text(telemetry.Battery));
        json.Append(",\"charging\":").Append(!telemetry.ChargingReported ? "null" : telemetry.Charging ? "true" : "false");
        json.Append(",\"fault\":");
        AppendString(json, telemetry.Fault);
        json.Append('}');
        var bytes = Encoding.UTF8.GetBytes(json.ToString());
        if (bytes.Length > MaxPayloadBytes)
        {
            error = "payload over " + Text(MaxPayloadBytes) + " bytes";
            return null;
        }

        return bytes;
    }

    /// <summary>Null when <paramref name="telemetry"/> is consistent: what an encoded payload must satisfy and a decoded one does.</summary>
    public static string? Check(SlotTelemetry? telemetry)
    {
        if (telemetry == null)
            return "no telemetry";
        var content = telemetry.Content;
        if (!Same(content, SlotContents.Empty) && !Same(content, SlotContents.Device) && !Same(content, SlotContents.Battery))
            return "content must be empty, device or battery";
        if (telemetry.Occupied == Same(content, SlotContents.Empty))
            return "occupied must be true exactly when content is device or battery";
        if (telemetry.Battery != SlotTelemetry.NoBattery && (telemetry.Battery < 0 || telemetry.Battery > 100))
            return "battery must be 0-100";
        if (telemetry.Serial != null && (telemetry.Serial.Length == 0 || telemetry.Serial.Length > MaxSerialLength))
            return "serial must be 1-" + Text(MaxSerialLength) + " characters";
        if (telemetry.Fault != null && (telemetry.Fault.Length == 0 || telemetry.Fault.Length > MaxFaultLength))
            return "fault must be 1-" + Text(MaxFaultLength) + " characters";
        return null;
    }

    /// <summary>Ordinal equality without the framework's comparison enums.</summary>
    public static bool Same(string? a, string? b)
    {
        if (a == null || b == null)
            return a == null && b == null;
        if (a.Length != b.Length)
            return false;
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
                return false;
        }

        return true;
    }

    /// <summary>A non-negative integer in decimal, without the framework's culture-aware formatting.</summary>
    private static string Text(int value)
    {
        if (value <= 0)
            return "0";
        var digits = new char[10];
        var at = digits.Length;
        while (value > 0)
        {
            digits[--at] = (char)('0' + (value % 10));
            value /= 10;
        }

        return new string(digits, at, digits.Length - at);
    }

    private static void AppendString(StringBuilder json, string? value)
    {
        if (value == null)
        {
            json.Append("null");
            return;
        }

        json.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '"' || c == '\\')
                json.Append('\\').Append(c);
            else if (c < ' ')
                json.Append("\\u00").Append(HexDigit(c >> 4)).Append(HexDigit(c & 0xF));
            else
                json.Append(c);
        }

        json.Append('"');
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'a' + value - 10);
}
