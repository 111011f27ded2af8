using System.Globalization;
using System.Net.Sockets;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// <see cref="KernelFileSender"/> over a real loopback TCP connection and a real file: the bytes that arrive, ranges
/// longer than one turn, a peer that goes away mid-range, and the scheduling class of its threads.
/// </summary>
public sealed class KernelFileSenderTests : IDisposable
{
    private const int Size = (3 * KernelFileSender.TurnBytes) + 12_345;

    private readonly string _path = Path.Combine(Path.GetTempPath(), "edgemdm-sendfile-" + Guid.NewGuid().ToString("N"));
    private readonly byte[] _bytes = new byte[Size];

    public KernelFileSenderTests()
    {
        Random.Shared.NextBytes(_bytes);
        File.WriteAllBytes(_path, _bytes);
    }

    public void Dispose() => File.Delete(_path);

    [SkippableFact]
    public async Task A_range_longer_than_a_turn_arrives_whole_and_in_order()
    {
        await using var pair = await SendingPair.OpenAsync(_path, threads: 2);
        const long offset = 1_001;
        const long count = Size - offset - 7;

        var received = pair.ReceiveAsync(count);
        await pair.SendAsync(offset, count);

        Assert.Equal(_bytes[(int)offset..(int)(offset + count)], await received);
    }

    [SkippableFact]
    public async Task Ranges_sent_one_after_another_on_one_socket_arrive_in_that_order()
    {
        await using var pair = await SendingPair.OpenAsync(_path, threads: 1);

        var received = pair.ReceiveAsync(300 + 5_000);
        await pair.SendAsync(Size - 300, 300);
        await pair.SendAsync(0, 5_000);

        var expected = _bytes[^300..].Concat(_bytes[..5_000]).ToArray();
        Assert.Equal(expected, await received);
    }

    [SkippableFact]
    public async Task A_peer_that_resets_mid_range_fails_the_send_with_the_reason()
    {
        await using var pair = await SendingPair.OpenAsync(_path, threads: 1, smallBuffers: true);

        // Reads nothing, so the range stalls once the small buffers are full; closing with unread bytes resets.
        var send = pair.SendAsync(0, Size);
        pair.Receiving.LingerState = new LingerOption(enable: true, seconds: 0);
        pair.Receiving.Close();

        var failure = await Assert.ThrowsAsync<IOException>(() => send.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.StartsWith("sendfile failed: ", failure.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_file_shorter_than_the_range_fails_the_send()
    {
        await using var pair = await SendingPair.OpenAsync(_path, threads: 1);
        var received = pair.ReceiveAsync(100);

        var failure = await Assert.ThrowsAsync<IOException>(() => pair.SendAsync(Size - 100, 200));

        Assert.Contains($"ended at byte {Size}", failure.Message, StringComparison.Ordinal);
        Assert.Equal(_bytes[^100..], await received);
    }

    [SkippableFact]
    public async Task The_sending_threads_run_in_the_normal_class_below_the_process_with_a_long_slice()
    {
        await using var pair = await SendingPair.OpenAsync(_path, threads: 2);

        // Two ranges sent, one per thread (they are dealt in turn), so both threads are in their loops.
        var received = pair.ReceiveAsync(20);
        await pair.SendAsync(0, 10);
        await pair.SendAsync(10, 10);
        await received;

        var processNice = new KernelThread("/proc/self").Nice;
        var threads = pair.Kernel.KernelThreadIds.Select(KernelThread.OfThisProcess).ToList();
        Assert.Equal(2, threads.Count);
        Assert.All(threads, thread =>
        {
            Assert.Equal(SchedOther, thread.Policy);
            Assert.Equal(Math.Min(19, processNice + KernelFileSender.NiceSteps), thread.Nice);
            if (KernelThread.KeepsRequestedSlices)
                Assert.Equal((long)ThreadScheduling.BulkSliceNanoseconds, thread.Slice);
        });
    }

    private const int SchedOther = 0;

    /// <summary>A sender with its own threads, a connected loopback pair, and the test file open for reading.</summary>
    private sealed class SendingPair(KernelFileSender kernel, Socket sending, Socket receiving, FileStream file) : IAsyncDisposable
    {
        public KernelFileSender Kernel { get; } = kernel;

        public Socket Sending { get; } = sending;

        public Socket Receiving { get; } = receiving;

        /// <summary>Skips the calling test off Linux; with <paramref name="smallBuffers"/> a stalled peer fills them at once.</summary>
        public static async Task<SendingPair> OpenAsync(string path, int threads, bool smallBuffers = false)
        {
            Skip.IfNot(OperatingSystem.IsLinux(), "sendfile(2) is a Linux call");
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var receiving = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            if (smallBuffers)
                receiving.ReceiveBufferSize = 8 * 1024; // before connecting, so the window offered is small too
            await receiving.ConnectAsync(listener.LocalEndPoint!);
            var sending = await listener.AcceptAsync();
            // As .NET keeps every socket it has used asynchronously, which Kestrel's are.
            sending.Blocking = false;
            if (smallBuffers)
                sending.SendBufferSize = 8 * 1024;
            return new SendingPair(new KernelFileSender(threads), sending, receiving, File.OpenRead(path));
        }

        public Task SendAsync(long offset, long count) => Kernel.SendAsync(Sending, file.SafeFileHandle, offset, count);

        public async Task<byte[]> ReceiveAsync(long count)
        {
            var received = new byte[count];
            var at = 0;
            while (at < count)
            {
                var read = await Receiving.ReceiveAsync(received.AsMemory(at));
                if (read == 0)
                    throw new IOException($"the connection ended after {at} of {count} bytes");
                at += read;
            }

            return received;
        }

        public async ValueTask DisposeAsync()
        {
            // The threads first: they hold the socket and the file while a send is under way.
            Kernel.Dispose();
            Sending.Dispose();
            Receiving.Dispose();
            await file.DisposeAsync();
        }
    }
}
