namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// Follows the MQTT fixed-header framing of a client's byte stream as it is read, before the broker's decoder sees
/// the bytes, and says when to drop the connection: a first packet that is not CONNECT, a remaining length that is
/// malformed (more than 4 length bytes) or larger than the limit in force. The broker's decoder allocates the whole
/// declared body before reading it, so this is what keeps a ~100 MB declaration from costing 100 MB. Pure: fed
/// bytes, keeps only counters.
/// </summary>
public sealed class MqttFraming(int maxConnectBytes, int maxPacketBytes)
{
    private const int ConnectPacketType = 1;

    private State _state = State.Header;
    private bool _connectSeen;
    private int _lengthBytes;
    private int _multiplier = 1;
    private long _remaining;
    private long _packets;

    /// <summary>Why the stream was refused; null while it is acceptable.</summary>
    public string? Violation { get; private set; }

    /// <summary>
    /// Feeds bytes just read from the client. Returns false (and sets <see cref="Violation"/>) as soon as the stream
    /// breaks a rule; after that it keeps returning false.
    /// </summary>
    public bool Accept(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (Violation is not null)
                return false;
            switch (_state)
            {
                case State.Header:
                    if (!_connectSeen && bytes[i] >> 4 != ConnectPacketType)
                        return Refuse("the first packet is not CONNECT");
                    _connectSeen = true;
                    _state = State.Length;
                    _lengthBytes = 0;
                    _multiplier = 1;
                    _remaining = 0;
                    i++;
                    break;
                case State.Length:
                    var b = bytes[i++];
                    _remaining += (b & 0x7F) * (long)_multiplier;
                    _multiplier *= 128;
                    if (++_lengthBytes > 4)
                        return Refuse("the remaining length has more than 4 bytes");
                    if ((b & 0x80) != 0)
                        break;
                    var limit = _packets == 0 ? maxConnectBytes : maxPacketBytes;
                    if (_remaining > limit)
                        return Refuse($"a packet declares {_remaining} bytes, over the limit of {limit}");
                    _packets++;
                    _state = _remaining == 0 ? State.Header : State.Body;
                    break;
                case State.Body:
                    var take = (int)Math.Min(_remaining, bytes.Length - i);
                    _remaining -= take;
                    i += take;
                    if (_remaining == 0)
                        _state = State.Header;
                    break;
            }
        }

        return Violation is null;
    }

    private bool Refuse(string why)
    {
        Violation = why;
        return false;
    }

    private enum State
    {
        Header,
        Length,
        Body,
    }
}
