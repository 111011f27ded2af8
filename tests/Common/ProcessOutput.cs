using System.Diagnostics;

namespace EdgeMdm.Testing;

// Shared by the end-to-end tests and the bench (linked into both projects).

/// <summary>
/// What a child process prints on standard output and standard error, read line by line as it comes (both must be
/// redirected); the last <c>keep</c> lines are kept.
/// </summary>
internal sealed class ProcessOutput
{
    private readonly Queue<string> _lines = new();
    private readonly int _keep;

    /// <summary>Starts reading <paramref name="process"/>'s output and error.</summary>
    public ProcessOutput(Process process, int keep = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(process);
        _keep = keep;
        var source = Path.GetFileNameWithoutExtension(process.StartInfo.FileName) + " " + Path.GetFileName(process.StartInfo.ArgumentList.FirstOrDefault() ?? "");
        process.OutputDataReceived += (_, e) => Keep(source, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(source, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The kept lines, one after another.</summary>
    public string Text
    {
        get
        {
            lock (_lines)
                return string.Join('\n', _lines);
        }
    }

    /// <summary>The last kept line that is not blank, trimmed; null when there is none.</summary>
    public string? LastLine()
    {
        lock (_lines)
            return _lines.LastOrDefault(l => !string.IsNullOrWhiteSpace(l))?.Trim();
    }

    private void Keep(string source, string? line)
    {
        if (line is null)
            return;
        TestLogFiles.Append(source, line);
        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > _keep)
                _lines.Dequeue();
        }
    }
}
