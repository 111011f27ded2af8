using System.Text;

namespace EdgeMdm.Contracts.Cradles;

// The decoder's parser, in the same nanoFramework subset as the rest of the codec (CradleCodecTests checks it too:
// it is a nested type of the codec).
public static partial class CradleTelemetryCodec
{
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
