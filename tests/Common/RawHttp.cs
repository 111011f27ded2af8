using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EdgeMdm.Testing;

/// <summary>Bytes on a socket, for requests no well-behaved HTTP client would send.</summary>
public sealed class RawHttp : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly Stream _stream;

    private RawHttp(TcpClient tcp, Stream stream)
    {
        _tcp = tcp;
        _stream = stream;
    }

    /// <param name="pin">
    /// For an https <paramref name="server"/>: hex SHA-256 of the SubjectPublicKeyInfo of the only certificate accepted.
    /// </param>
    public static async Task<RawHttp> ConnectAsync(Uri server, string? pin = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        if (!string.Equals(server.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal))
            return new RawHttp(tcp, tcp.GetStream());
        if (pin is null)
            throw new ArgumentException("an https server needs the pin of its certificate", nameof(pin));
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) => certificate is not null && string.Equals(
            Convert.ToHexStringLower(SHA256.HashData(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()).PublicKey.ExportSubjectPublicKeyInfo())),
            pin,
            StringComparison.OrdinalIgnoreCase));
        await tls.AuthenticateAsClientAsync(server.Host);
        return new RawHttp(tcp, tls);
    }

    public async Task SendAsync(string text)
    {
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(text));
        await _stream.FlushAsync();
    }

    /// <summary>Everything the server sends until it closes the connection (requests say <c>Connection: close</c>).</summary>
    public async Task<string> ReadToEndAsync(CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await _stream.ReadAsync(buffer, cancellationToken)) > 0)
                received.Write(buffer, 0, read);
        }
        catch (IOException)
        {
            // A reset after the answer (the server closing with our unread body bytes in flight) ends the read too.
        }

        return Encoding.UTF8.GetString(received.ToArray());
    }

    /// <summary>
    /// Sends <paramref name="piece"/> every <paramref name="every"/>, a body trickling in, until the server answers and
    /// closes (or <paramref name="cancellationToken"/> ends it); returns what it answered.
    /// </summary>
    public async Task<string> TrickleUntilAnsweredAsync(string piece, TimeSpan every, CancellationToken cancellationToken)
    {
        var reading = ReadToEndAsync(cancellationToken);
        while (!reading.IsCompleted && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await SendAsync(piece);
            }
            catch (IOException)
            {
                break; // the server has answered and closed
            }

            await Task.WhenAny(reading, Task.Delay(every, cancellationToken));
        }

        return await reading;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
