using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using EdgeMdm.Edge.Threading;
using Microsoft.Win32.SafeHandles;

namespace EdgeMdm.Edge.Packages;

/// <summary>
/// Threads of their own, <see cref="NiceSteps"/> nice steps below the process on a long slice
/// (<see cref="ThreadScheduling.LowerCurrent"/>), that move file ranges into sockets with
/// <c>sendfile(2)</c>: the kernel reads the page cache and, on loopback or a LAN, does the TCP work of every byte
/// inside that call. On the thread pool (as <see cref="Socket.SendPacketsAsync"/> does) that work queues ahead of
/// check-ins (p99 ×40 in the download benchmark). Nice 6 leaves the bytes about a quarter of a normal thread's CPU
/// weight, so check-ins win the CPU when they want it and the bytes keep nginx's pace otherwise: with the sockets
/// corked (<see cref="SocketOutput"/>), nice 2 to 10 all moved 0.85–1.06× nginx's bytes in the download benchmark,
/// and the check-in p99 during downloads fell from about 19 ms at nice 2 to 14–16 ms at nice 6 and above.
/// <para>
/// Each thread waits in <c>poll(2)</c> for any of its sockets to take more, then gives each writable socket one
/// <see cref="TurnBytes"/> turn, so thirty-two downloads share the threads evenly. Sockets stay non-blocking (as
/// .NET keeps them); a socket and a file are referenced for as long as a range is sent, so neither descriptor can
/// be closed (and its number reused) under a call.
/// </para>
/// </summary>
internal sealed class KernelFileSender : IDisposable
{
    /// <summary>The most one socket is given per turn: large enough that a call's cost vanishes next to its bytes.</summary>
    internal const int TurnBytes = 256 * 1024;

    /// <summary>How far below the process's priority the sending threads run.</summary>
    internal const int NiceSteps = 6;

    private readonly Worker[] _workers;
    private int _next;

    public KernelFileSender(int threads)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("sendfile(2) is a Linux call");
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _workers = Enumerable.Range(0, threads).Select(i => new Worker($"kernel file sender {i}")).ToArray();
    }

    /// <summary>
    /// Sends bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="count"/>) of
    /// <paramref name="file"/> into <paramref name="socket"/>; nothing else may send on that socket until this
    /// finishes. Fails when the socket does (reset, shut down, closed by an abort) or the file is shorter.
    /// </summary>
    public Task SendAsync(Socket socket, SafeFileHandle file, long offset, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0)
            return Task.CompletedTask;
        var send = new FileSend(socket.SafeHandle, file, offset, count);
        _workers[(int)((uint)Interlocked.Increment(ref _next) % _workers.Length)].Add(send);
        return send.Done.Task;
    }

    /// <summary>The kernel's ids of the threads that have started sending, for inspecting their priority.</summary>
    internal IReadOnlyList<int> KernelThreadIds => _workers.Select(w => w.KernelThreadId).OfType<int>().ToList();

    public void Dispose()
    {
        foreach (var worker in _workers)
            worker.Dispose();
    }

    private sealed class FileSend
    {
        private readonly SafeSocketHandle _socket;
        private readonly SafeFileHandle _file;
        private bool _socketReferenced;
        private bool _fileReferenced;
        private long _offset;
        private long _remaining;

        public FileSend(SafeSocketHandle socket, SafeFileHandle file, long offset, long count)
        {
            _socket = socket;
            _file = file;
            _offset = offset;
            _remaining = count;
        }

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int SocketDescriptor => (int)_socket.DangerousGetHandle();

        /// <summary>Holds both descriptors open; false (and <see cref="Done"/> failed) when either is closed already.</summary>
        public bool Reference()
        {
            try
            {
                _socket.DangerousAddRef(ref _socketReferenced);
                _file.DangerousAddRef(ref _fileReferenced);
                return true;
            }
            catch (ObjectDisposedException closed)
            {
                Finish(closed);
                return false;
            }
        }

        /// <summary>One turn; true when this send is finished (sent, or failed).</summary>
        public bool Turn()
        {
            var wanted = (nint)Math.Min(_remaining, TurnBytes);
            var sent = Native.SendFile(SocketDescriptor, (int)_file.DangerousGetHandle(), ref _offset, wanted);
            if (sent < 0)
            {
                var error = Marshal.GetLastPInvokeError();
                if (error is Native.TryAgain or Native.Interrupted)
                    return false;
                Finish(new IOException($"sendfile failed: {Marshal.GetPInvokeErrorMessage(error)} (errno {error})"));
                return true;
            }

            if (sent == 0)
            {
                Finish(new IOException($"the file ended at byte {_offset} with {_remaining} more to send"));
                return true;
            }

            _remaining -= sent;
            if (_remaining > 0)
                return false;
            Finish(null);
            return true;
        }

        public void Finish(Exception? failure)
        {
            if (_fileReferenced)
                _file.DangerousRelease();
            if (_socketReferenced)
                _socket.DangerousRelease();
            _fileReferenced = _socketReferenced = false;
            if (failure is null)
                Done.TrySetResult();
            else
                Done.TrySetException(failure);
        }
    }

    private sealed class Worker : IDisposable
    {
        private readonly ConcurrentQueue<FileSend> _incoming = new();
        private readonly List<FileSend> _sends = [];
        private readonly int _wake;
        private readonly Thread _thread;
        private volatile bool _stopping;
        private volatile int _kernelThreadId;

        public Worker(string name)
        {
            _wake = Native.EventFd(0, Native.EventFdNonBlocking | Native.EventFdCloseOnExec);
            if (_wake < 0)
                throw new IOException($"eventfd failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            _thread = new Thread(Run) { IsBackground = true, Name = name };
            _thread.Start();
        }

        /// <summary>Known once the thread has lowered its priority; null before.</summary>
        public int? KernelThreadId => _kernelThreadId == 0 ? null : _kernelThreadId;

        public void Add(FileSend send)
        {
            _incoming.Enqueue(send);
            Wake();
            if (_stopping)
                FailIncoming();
        }

        public void Dispose()
        {
            _stopping = true;
            Wake();
            _thread.Join();
            FailIncoming();
            _ = Native.Close(_wake);
        }

        private void Wake()
        {
            ulong one = 1;
            _ = Native.Write(_wake, ref one, sizeof(ulong));
        }

        private void FailIncoming()
        {
            while (_incoming.TryDequeue(out var send))
                send.Finish(new ObjectDisposedException(nameof(KernelFileSender)));
        }

        private void Run()
        {
            ThreadScheduling.LowerCurrent(NiceSteps);
            _kernelThreadId = ThreadScheduling.KernelThreadId() ?? 0;
            var polled = new Native.PollDescriptor[1];
            while (!_stopping)
            {
                while (_incoming.TryDequeue(out var send))
                {
                    if (send.Reference())
                        _sends.Add(send);
                }

                if (polled.Length < _sends.Count + 1)
                    polled = new Native.PollDescriptor[Math.Max(_sends.Count + 1, polled.Length * 2)];
                polled[0] = new Native.PollDescriptor { Descriptor = _wake, Events = Native.PollIn };
                for (var i = 0; i < _sends.Count; i++)
                    polled[i + 1] = new Native.PollDescriptor { Descriptor = _sends[i].SocketDescriptor, Events = Native.PollOut };

                var ready = Native.Poll(polled, (nuint)(_sends.Count + 1), -1);
                if (ready < 0)
                {
                    var error = Marshal.GetLastPInvokeError();
                    if (error == Native.Interrupted)
                        continue;
                    throw new IOException($"poll failed: {Marshal.GetPInvokeErrorMessage(error)} (errno {error})");
                }

                if (polled[0].Returned != 0)
                {
                    ulong wakes = 0;
                    _ = Native.Read(_wake, ref wakes, sizeof(ulong));
                }

                // Backwards, so that removing a finished send leaves the indexes still to visit in place.
                for (var i = _sends.Count - 1; i >= 0; i--)
                {
                    // An error or hang-up is reported by the call itself (EPIPE, ECONNRESET), with its reason.
                    if (polled[i + 1].Returned != 0 && _sends[i].Turn())
                        _sends.RemoveAt(i);
                }
            }

            foreach (var send in _sends)
                send.Finish(new ObjectDisposedException(nameof(KernelFileSender)));
            _sends.Clear();
        }
    }

    private static class Native
    {
        public const int TryAgain = 11;
        public const int Interrupted = 4;
        public const short PollIn = 0x1;
        public const short PollOut = 0x4;
        public const int EventFdNonBlocking = 0x800;
        public const int EventFdCloseOnExec = 0x80000;

        [StructLayout(LayoutKind.Sequential)]
        public struct PollDescriptor
        {
            public int Descriptor;
            public short Events;
            public short Returned;
        }

        [DllImport("libc", EntryPoint = "sendfile", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint SendFile(int socket, int file, ref long offset, nint count);

        [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Poll([In, Out] PollDescriptor[] descriptors, nuint count, int timeoutMilliseconds);

        [DllImport("libc", EntryPoint = "eventfd", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int EventFd(uint initial, int flags);

        [DllImport("libc", EntryPoint = "read", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint Read(int descriptor, ref ulong value, nint count);

        [DllImport("libc", EntryPoint = "write", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint Write(int descriptor, ref ulong value, nint count);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int descriptor);
    }
}
