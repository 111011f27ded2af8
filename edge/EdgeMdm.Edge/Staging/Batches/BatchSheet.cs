using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using EdgeMdm.ServiceDefaults.Durability;
using QRCoder;

namespace EdgeMdm.Edge.Staging.Batches;

/// <summary>
/// The printable sheet of a batch, under <c>DATA/staging/batches/{id}/</c>: per slot <c>slot-NNN.png</c> and
/// <c>slot-NNN.svg</c> (the QR code of that slot's payload), <c>sheet.html</c> (A4 labels with group, batch, slot and
/// expiry, the codes inline, print CSS, nothing fetched from elsewhere) and <c>payload.json</c> (the batch and every
/// slot's exact payload text, what the simulator stages from).
/// </summary>
public static class BatchSheet
{
    public const string PayloadFile = "payload.json";
    public const string SheetFile = "sheet.html";

    /// <summary>Pixels per QR module in the PNG: about 4 cm for a 90-module code at 300 dpi, and what a phone camera or zbarimg reads easily.</summary>
    private const int PngPixelsPerModule = 6;

    public static string DirectoryOf(string dataDirectory, string batchId) => Path.Combine(dataDirectory, "staging", "batches", batchId);

    public static string PngName(int slot) => $"slot-{slot.ToString("000", CultureInfo.InvariantCulture)}.png";

    public static string SvgName(int slot) => $"slot-{slot.ToString("000", CultureInfo.InvariantCulture)}.svg";

    /// <summary>The QR code of <paramref name="payload"/> as PNG bytes (byte mode, error correction M).</summary>
    public static byte[] Png(string payload)
    {
        using var data = Encode(payload);
        return new PngByteQRCode(data).GetGraphic(PngPixelsPerModule);
    }

    public static string Svg(string payload)
    {
        using var data = Encode(payload);
        return new SvgQRCode(data).GetGraphic(4);
    }

    /// <summary>Writes the sheet's files into <paramref name="directory"/> (made when missing) and returns the sheet's path.</summary>
    public static string Write(string directory, StagingBatch batch, IReadOnlyList<SlotCode> codes)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(codes);
        Directory.CreateDirectory(directory);
        var svgs = new List<string>(codes.Count);
        foreach (var slot in codes)
        {
            WriteDurably(Path.Combine(directory, PngName(slot.Slot)), Png(slot.Payload));
            var svg = Svg(slot.Payload);
            WriteDurably(Path.Combine(directory, SvgName(slot.Slot)), Encoding.UTF8.GetBytes(svg));
            svgs.Add(svg);
        }

        WriteDurably(Path.Combine(directory, PayloadFile), Encoding.UTF8.GetBytes(PayloadJson(batch, codes)));
        var sheet = Path.Combine(directory, SheetFile);
        WriteDurably(sheet, Encoding.UTF8.GetBytes(Html(batch, codes, svgs)));
        // The files' names too: each fsync above saved a file's bytes, not its entry in the directory.
        DurableFiles.SyncDirectory(directory);
        return sheet;
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> and fsyncs them before returning: the batch commits after the sheet is written
    /// and <c>staging batch create</c> then prints its path, so a power loss after that must not leave the files empty
    /// (the power-loss drill found exactly that with <c>File.WriteAllText</c>, which leaves the bytes in the page cache).
    /// </summary>
    private static void WriteDurably(string path, byte[] bytes)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        file.Write(bytes);
        file.Flush(flushToDisk: true);
    }

    private static QRCodeData Encode(string payload)
    {
        using var generator = new QRCodeGenerator();
        return generator.CreateQrCode(payload, QRCodeGenerator.ECCLevel.M);
    }

    private static string PayloadJson(StagingBatch batch, IReadOnlyList<SlotCode> codes)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("batchId", batch.Id);
            json.WriteString("group", batch.Group);
            if (batch.Plan is null)
                json.WriteNull("plan");
            else
                json.WriteString("plan", batch.Plan);
            json.WriteNumber("count", batch.Count);
            json.WriteString("expiresAt", batch.ExpiresAt);
            // Each slot's payload as the exact text its QR code encodes (a string, so no re-serialisation changes a byte).
            json.WriteStartArray("slots");
            foreach (var code in codes)
                json.WriteStringValue(code.Payload);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static string Html(StagingBatch batch, IReadOnlyList<SlotCode> codes, List<string> svgs)
    {
        static string E(string text) => WebUtility.HtmlEncode(text);
        var expires = batch.ExpiresAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>Staging batch {{E(batch.Id)}} — {{E(batch.Group)}}</title>
            <style>
            @page { size: A4; margin: 10mm; }
            body { font-family: sans-serif; margin: 0; }
            header { font-size: 11pt; margin-bottom: 4mm; }
            .sheet { display: grid; grid-template-columns: repeat(3, 1fr); gap: 4mm; }
            .label { border: 0.3mm dashed #888; padding: 3mm; text-align: center; break-inside: avoid; page-break-inside: avoid; }
            .label svg { width: 52mm; height: 52mm; }
            .slot { font-size: 16pt; font-weight: bold; }
            .meta { font-size: 8pt; }
            </style>
            </head>
            <body>
            <header>Batch {{E(batch.Id)}} · group {{E(batch.Group)}} · plan {{E(batch.Plan ?? "(the group's)")}} · {{batch.Count}} devices · expires {{expires}}</header>
            <main class="sheet">

            """);
        for (var i = 0; i < codes.Count; i++)
        {
            var svg = svgs[i];
            var start = svg.IndexOf("<svg", StringComparison.Ordinal);
            html.Append(CultureInfo.InvariantCulture, $"""
                <section class="label">
                {(start >= 0 ? svg[start..] : svg)}
                <div class="slot">{codes[i].Slot} / {batch.Count}</div>
                <div class="meta">{E(batch.Group)} · batch {E(batch.Id)}<br>expires {expires}</div>
                </section>

                """);
        }

        html.Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }
}
