using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace EdgeMdm.Edge.Packages;

/// <summary>
/// Kestrel connection middleware that puts a <see cref="SocketOutput"/> under the HTTP layer of every TCP
/// connection on Linux, so package downloads can be sent by the kernel. Kestrel's socket transport still accepts,
/// receives and closes; only the sending is this process's own. Elsewhere connections are left as they are.
/// </summary>
internal static class KernelFileSending
{
    public static ListenOptions UseKernelFileSending(this ListenOptions listen, KernelFileSender kernel, DownloadCounters counters, long bufferBytes)
    {
        listen.Use(next => connection => RunAsync(connection, next, kernel, counters, bufferBytes));
        return listen;
    }

    private static async Task RunAsync(ConnectionContext connection, ConnectionDelegate next, KernelFileSender kernel, DownloadCounters counters, long bufferBytes)
    {
        if (!OperatingSystem.IsLinux() || connection.Features.Get<IConnectionSocketFeature>()?.Socket is not { ProtocolType: ProtocolType.Tcp } socket)
        {
            await next(connection);
            return;
        }

        var transport = connection.Transport;
        var output = new SocketOutput(socket, connection, kernel, counters, bufferBytes);
        connection.Features.Set(output);
        connection.Transport = new DuplexPipe(transport.Input, output);
        output.Start();
        try
        {
            await next(connection);
        }
        finally
        {
            // Everything the HTTP layer wrote goes out before Kestrel, given its own pipes back, closes the socket.
            await output.CompleteAsync();
            await output.Sent;
            connection.Features.Set<SocketOutput>(null);
            connection.Transport = transport;
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}
