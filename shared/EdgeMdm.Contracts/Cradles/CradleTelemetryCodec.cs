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
public static class CradleTelemetryCodec
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

    /// <summary>One pass over the text; every failure sets <see cref="Error"/> and makes the pass return null.</summary>
    private sealed class Parser
    {
        private readonly string _text;
        private int _at;

        // The value just read.
        private int _kind;
        private bool _bool;
        private int _number;
        private bool _plainInteger;
        private string? _string;

        // What the payload said, and which keys it said.
        private bool _seenOccupied;
        private bool _seenContent;
        private bool _seenSerial;
        private bool _seenBattery;
        private bool _seenCharging;
        private bool _seenFault;
        private readonly SlotTelemetry _telemetry = new SlotTelemetry();
        private string? _content;

        public Parser(string text)
        {
            _text = text;
        }

        public string? Error { get; private set; }

        public SlotTelemetry? Parse()
        {
            SkipSpace();
            if (!Expect('{'))
                return null;
            SkipSpace();
            if (Peek() == '}')
                _at++;
            else if (!Members())
                return null;
            SkipSpace();
            if (_at != _text.Length)
                return Fail("text after the object") ? _telemetry : null;
            return Finish();
        }

        private bool Members()
        {
            while (true)
            {
                SkipSpace();
                if (Peek() != '"')
                    return Fail("a key must be a string");
                var key = ReadString(MaxKeyLength);
                if (key == null)
                    return false;
                SkipSpace();
                if (!Expect(':'))
                    return false;
                SkipSpace();
                if (!ReadValue() || !Assign(key))
                    return false;
                SkipSpace();
                var next = Peek();
                _at++;
                if (next == '}')
                    return true;
                if (next != ',')
                    return Fail("expected ',' or '}'");
            }
        }

        private SlotTelemetry? Finish()
        {
            if (!_seenOccupied)
                return Fail("occupied is missing") ? _telemetry : null;
            _telemetry.Content = _content ?? (_telemetry.Occupied ? SlotContents.Device : SlotContents.Empty);
            var problem = Check(_telemetry);
            return problem == null || Fail(problem) ? _telemetry : null;
        }

        private bool Assign(string key)
        {
            if (Same(key, "occupied"))
                return Once(ref _seenOccupied) && OccupiedValue();
            if (Same(key, "content"))
                return Once(ref _seenContent) && NullOrString(out _content);
            if (Same(key, "serial"))
                return Once(ref _seenSerial) && SerialValue();
            if (Same(key, "battery"))
                return Once(ref _seenBattery) && BatteryValue();
            if (Same(key, "charging"))
                return Once(ref _seenCharging) && ChargingValue();
            if (Same(key, "fault"))
                return Once(ref _seenFault) && NullOrString(out var fault) && SetFault(fault);
            return true;
        }

        private bool Once(ref bool seen)
        {
            if (seen)
                return Fail("a key appears twice");
            seen = true;
            return true;
        }

        private bool OccupiedValue()
        {
            if (_kind != KindBool)
                return Fail("occupied must be true or false");
            _telemetry.Occupied = _bool;
            return true;
        }

        private bool NullOrString(out string? value)
        {
            value = _string;
            return _kind == KindNull || _kind == KindString || Fail("a text value must be a string or null");
        }

        private bool SetFault(string? fault)
        {
            _telemetry.Fault = fault;
            return true;
        }

        private bool SerialValue()
        {
            if (!NullOrString(out var serial))
                return false;
            _telemetry.Serial = serial;
            return true;
        }

        private bool BatteryValue()
        {
            if (_kind == KindNull)
                return true;
            if (_kind != KindNumber || !_plainInteger || _number > 100)
                return Fail("battery must be an integer 0-100 or null");
            _telemetry.Battery = _number;
            return true;
        }

        private bool ChargingValue()
        {
            if (_kind == KindNull)
                return true;
            if (_kind != KindBool)
                return Fail("charging must be true, false or null");
            _telemetry.ChargingReported = true;
            _telemetry.Charging = _bool;
            return true;
        }

        private bool ReadValue()
        {
            _string = null;
            var c = Peek();
            if (c == '"')
            {
                _kind = KindString;
                _string = ReadString(MaxStringLength);
                return _string != null;
            }

            if (c == 't' || c == 'f' || c == 'n')
                return ReadWord();
            if (c == '-' || (c >= '0' && c <= '9'))
                return ReadNumber();
            if (c == '{' || c == '[')
                return Fail("nested objects and arrays are not accepted");
            return Fail("expected a value");
        }

        private bool ReadWord()
        {
            if (Literal("true"))
            {
                _kind = KindBool;
                _bool = true;
                return true;
            }

            if (Literal("false"))
            {
                _kind = KindBool;
                _bool = false;
                return true;
            }

            if (Literal("null"))
            {
                _kind = KindNull;
                return true;
            }

            return Fail("expected true, false or null");
        }

        private bool Literal(string word)
        {
            if (_text.Length - _at < word.Length)
                return false;
            for (var i = 0; i < word.Length; i++)
            {
                if (_text[_at + i] != word[i])
                    return false;
            }

            _at += word.Length;
            return true;
        }

        /// <summary>A JSON number (RFC 8259 §6); its value is kept only when it is a small non-negative integer.</summary>
        private bool ReadNumber()
        {
            _kind = KindNumber;
            _number = 0;
            _plainInteger = true;
            if (Peek() == '-')
            {
                _plainInteger = false;
                _at++;
            }

            var first = Peek();
            var digits = Digits(keep: true);
            if (digits == 0 || (first == '0' && digits > 1))
                return Fail("malformed number");
            if (Peek() == '.')
            {
                _plainInteger = false;
                _at++;
                if (Digits(keep: false) == 0)
                    return Fail("malformed number");
            }

            if (Peek() == 'e' || Peek() == 'E')
            {
                _plainInteger = false;
                _at++;
                if (Peek() == '+' || Peek() == '-')
                    _at++;
                if (Digits(keep: false) == 0)
                    return Fail("malformed number");
            }

            return true;
        }

        private int Digits(bool keep)
        {
            var count = 0;
            while (_at < _text.Length && _text[_at] >= '0' && _text[_at] <= '9')
            {
                // Capped: only 0-100 is ever accepted, and the cap keeps the sum from overflowing.
                if (keep && _number < 1000)
                    _number = (_number * 10) + (_text[_at] - '0');
                _at++;
                count++;
            }

            return count;
        }

        /// <summary>A JSON string at <see cref="_at"/> of at most <paramref name="maxLength"/> characters, unescaped.</summary>
        private string? ReadString(int maxLength)
        {
            _at++;
            var value = new StringBuilder();
            while (_at < _text.Length)
            {
                var c = _text[_at++];
                if (c == '"')
                    return value.ToString();
                if (value.Length >= maxLength)
                    return FailText("a string is too long");
                if (c < ' ' || c == '\uFFFD')
                    return FailText(c == '\uFFFD' ? "not UTF-8" : "a control character in a string");
                if (c != '\\')
                {
                    value.Append(c);
                    continue;
                }

                var escaped = Unescape();
                if (escaped < 0)
                    return FailText("a bad escape in a string");
                value.Append((char)escaped);
            }

            return FailText("a string is not closed");
        }

        private int Unescape()
        {
            if (_at >= _text.Length)
                return -1;
            var c = _text[_at++];
            switch (c)
            {
                case '"': return '"';
                case '\\': return '\\';
                case '/': return '/';
                case 'b': return '\b';
                case 'f': return '\f';
                case 'n': return '\n';
                case 'r': return '\r';
                case 't': return '\t';
                case 'u': return Hex4();
                default: return -1;
            }
        }

        private int Hex4()
        {
            if (_text.Length - _at < 4)
                return -1;
            var value = 0;
            for (var i = 0; i < 4; i++)
            {
                var c = _text[_at++];
                var digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (digit < 0)
                    return -1;
                value = (value * 16) + digit;
            }

            return value;
        }

        private char Peek() => _at < _text.Length ? _text[_at] : '\0';

        private bool Expect(char c)
        {
            if (Peek() != c)
                return Fail("expected '" + new string(c, 1) + "'");
            _at++;
            return true;
        }

        private void SkipSpace()
        {
            while (_at < _text.Length && (_text[_at] == ' ' || _text[_at] == '\t' || _text[_at] == '\n' || _text[_at] == '\r'))
                _at++;
        }

        /// <summary>Records the first failure; always false.</summary>
        private bool Fail(string why)
        {
            if (Error == null)
                Error = why + " (at " + Text(_at) + ")";
            return false;
        }

        private string? FailText(string why)
        {
            Fail(why);
            return null;
        }
    }
}
