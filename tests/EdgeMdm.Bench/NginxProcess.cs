using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using static EdgeMdm.Bench.BenchProcesses;

namespace EdgeMdm.Bench;

/// <summary>Debian's nginx on a free loopback port, serving one directory, stopped with the run.</summary>
internal sealed class NginxProcess : IAsyncDisposable
{
    private readonly Process _process;

    private NginxProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    /// <param name="tls">Serve over TLS with this certificate and key, HTTP/1.1 only, TLS 1.2 and 1.3 with OpenSSL's
    /// defaults as Kestrel has them (nginx's default cipher list for 1.2; both take OpenSSL's 1.3 suites); no kTLS.</param>
    public static async Task<NginxProcess> StartAsync(string root, string prefix, NginxTls tls, CancellationToken cancellationToken, string? listen = null)
    {
        const string Binary = "/usr/sbin/nginx";
        if (!File.Exists(Binary))
            throw new ServerStartException("nginx is not installed: run tests/scripts/nginx.sh install (make bench does)");
        Directory.CreateDirectory(prefix);
        var url = listen is null ? ServerProcess.FreeLoopbackUrl("https") : new Uri(listen);
        // A plain static-file server as Debian ships it would be tuned: one worker per core, no access log. sendfile
        // stays on as shipped but does nothing on TLS: without kTLS (ssl_conf_command Options KTLS, off by default)
        // nginx reads and encrypts in user space, as Kestrel does.
        var config = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $$"""
            daemon off;
            master_process on;
            worker_processes auto;
            user root;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                sendfile on;
                tcp_nopush on;
                client_body_temp_path {{prefix}}/body;
                proxy_temp_path {{prefix}}/proxy;
                fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi;
                scgi_temp_path {{prefix}}/scgi;
                default_type application/octet-stream;
                server {
                    listen {{url.Host}}:{{url.Port}} ssl;
                    ssl_certificate {{tls.Certificate}};
                    ssl_certificate_key {{tls.Key}};
                    ssl_protocols TLSv1.2 TLSv1.3;
                    root {{root}};
                }
            }
            """), cancellationToken);
        var info = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-p", prefix, "-c", config })
            info.ArgumentList.Add(arg);
        var process = Process.Start(ProcessWeight.AtServerWeight(info)) ?? throw new ServerStartException("could not start nginx");
        var nginx = new NginxProcess(process, url);
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (process.HasExited)
                throw new ServerStartException($"nginx exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync(cancellationToken)}");
            if (await AcceptsAsync(IPAddress.Parse(url.Host), url.Port, cancellationToken))
                return nginx;
            await Task.Delay(100, cancellationToken);
        }

        await nginx.DisposeAsync();
        throw new ServerStartException("nginx did not listen within 10 s");
    }

    /// <summary>CPU time used so far by the master and its workers (their /proc stat), or zero where unknown.</summary>
    public TimeSpan Cpu()
    {
        // utime and stime are fields 14 and 15, in clock ticks of 1/100 s on Linux; fields from 3 on follow the name.
        const double TicksPerSecond = 100;
        long ticks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out _))
                continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var pid = int.Parse(Path.GetFileName(directory), CultureInfo.InvariantCulture);
                var parent = int.Parse(fields[4 - 3], CultureInfo.InvariantCulture);
                if (pid == _process.Id || parent == _process.Id)
                    ticks += long.Parse(fields[14 - 3], CultureInfo.InvariantCulture) + long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The process ended between listing and reading.
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}

/// <summary>The certificate and key nginx serves TLS with: the appliance's own site certificate (DATA/tls).</summary>
internal sealed record NginxTls(string Certificate, string Key);

/// <summary>What a server negotiated with the bench's client: the same client offer for both, so the same answer means the same TLS work.</summary>
internal sealed record TlsSession(string Server, string Protocol, string CipherSuite, string Alpn)
{
    public override string ToString() => $"{Server}: {Protocol}, {CipherSuite}, ALPN {Alpn}";

    /// <summary>One handshake as a download client makes it (pinned, ALPN http/1.1), then closed.</summary>
    public static async Task<TlsSession> NegotiateAsync(string server, Uri url, string pin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(url.Host, url.Port, timeout.Token);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(
            new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = url.Host,
                ApplicationProtocols = [System.Net.Security.SslApplicationProtocol.Http11],
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && string.Equals(ServerProcess.PinOf(certificate), pin, StringComparison.OrdinalIgnoreCase),
            },
            timeout.Token);
        return new TlsSession(server, tls.SslProtocol.ToString(), tls.NegotiatedCipherSuite.ToString(), tls.NegotiatedApplicationProtocol.ToString());
    }
}
