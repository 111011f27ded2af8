using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EdgeMdm.Contracts.Device;

/// <summary>
/// What a staging QR code tells a device (EdgeMdm's part of the Android Enterprise provisioning payload, under
/// <see cref="ProvisioningQr.ExtrasBundle"/>): where the appliance is, the batch's enrollment token, which site and
/// batch the code was made for, the slot on the sheet, the appliance's TLS pin, and the appliance's signature over all
/// of it (<see cref="SignedText"/>), made with the site CA's key, so the appliance can tell a code someone edited.
/// </summary>
/// <param name="Urls">The appliance's https URLs, tried in order.</param>
/// <param name="TlsPin">Hex SHA-256 of the appliance's server key SubjectPublicKeyInfo: the only certificate key the device accepts.</param>
/// <param name="Signature">Base64url ECDSA P-256 / SHA-256 signature (IEEE P1363, r‖s) over <see cref="SignedText"/>.</param>
public sealed record EnrollmentCode(
    int Version,
    IReadOnlyList<string> Urls,
    string Token,
    string SiteId,
    string BatchId,
    int Slot,
    string TlsPin,
    string Signature)
{
    public const int CurrentVersion = 1;

    /// <summary>The proof an enrollment request carries: every signed field but the token, which the request carries itself.</summary>
    public EnrollmentCodeProof Proof() => new(Version, [.. Urls], SiteId, BatchId, Slot, TlsPin, Signature);

    /// <summary>
    /// The bytes the signature covers: one line per field in a fixed order, so the appliance rebuilds them from what a
    /// device sends without caring how the JSON was laid out.
    /// </summary>
    public static byte[] SignedText(int version, IEnumerable<string> urls, string token, string siteId, string batchId, int slot, string tlsPin)
    {
        var text = new StringBuilder("edgemdm-enrollment-code\n")
            .Append("version=").Append(version.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("urls=").Append(string.Join(' ', urls)).Append('\n')
            .Append("token=").Append(token).Append('\n')
            .Append("site=").Append(siteId).Append('\n')
            .Append("batch=").Append(batchId).Append('\n')
            .Append("slot=").Append(slot.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("pin=").Append(tlsPin).Append('\n');
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}

/// <summary>
/// The code's fields an enrollment request carries beside its token (<see cref="EnrollRequest.Code"/>): the appliance
/// checks the site, rebuilds <see cref="EnrollmentCode.SignedText"/> with the token and verifies the signature.
/// </summary>
public sealed record EnrollmentCodeProof(int Version, IReadOnlyList<string> Urls, string SiteId, string BatchId, int Slot, string TlsPin, string Signature)
{
    public byte[] SignedText(string token) => EnrollmentCode.SignedText(Version, Urls, token, SiteId, BatchId, Slot, TlsPin);
}

/// <summary>
/// The provisioning QR payload as Android Enterprise defines it (a JSON object of <c>android.app.extra.PROVISIONING_*</c>
/// keys), EdgeMdm's own fields inside its admin extras bundle. Every value in the bundle is a string, as a
/// <c>PersistableBundle</c> read from a QR code takes them.
/// </summary>
public static class ProvisioningQr
{
    public const string AdminComponent = "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME";
    public const string DownloadLocation = "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION";
    public const string PackageChecksum = "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_CHECKSUM";
    public const string ExtrasBundle = "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE";

    public const string VersionKey = "com.edgemdm.VERSION";
    public const string UrlsKey = "com.edgemdm.URLS";
    public const string TokenKey = "com.edgemdm.TOKEN";
    public const string SiteKey = "com.edgemdm.SITE_ID";
    public const string BatchKey = "com.edgemdm.BATCH_ID";
    public const string SlotKey = "com.edgemdm.SLOT";
    public const string PinKey = "com.edgemdm.TLS_PIN";
    public const string SignatureKey = "com.edgemdm.SIGNATURE";

    /// <summary>Where the device-admin package comes from (the appliance's cache) and its URL-safe base64 SHA-256, as Android checks it.</summary>
    public sealed record AdminDownload(string Location, string Checksum);

    /// <summary>The payload's exact text (compact JSON, keys in a fixed order): what the QR code encodes.</summary>
    public static string Write(EnrollmentCode code, string adminComponent, AdminDownload? download)
    {
        ArgumentNullException.ThrowIfNull(code);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString(AdminComponent, adminComponent);
            if (download is not null)
            {
                json.WriteString(DownloadLocation, download.Location);
                json.WriteString(PackageChecksum, download.Checksum);
            }

            json.WriteStartObject(ExtrasBundle);
            json.WriteString(VersionKey, code.Version.ToString(CultureInfo.InvariantCulture));
            json.WriteString(UrlsKey, string.Join(' ', code.Urls));
            json.WriteString(TokenKey, code.Token);
            json.WriteString(SiteKey, code.SiteId);
            json.WriteString(BatchKey, code.BatchId);
            json.WriteString(SlotKey, code.Slot.ToString(CultureInfo.InvariantCulture));
            json.WriteString(PinKey, code.TlsPin);
            json.WriteString(SignatureKey, code.Signature);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// The EdgeMdm fields of a provisioning payload (or of its extras bundle alone); a <see cref="FormatException"/>
    /// naming what is missing or wrong otherwise.
    /// </summary>
    public static EnrollmentCode Read(string payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload);
        }
        catch (JsonException exception)
        {
            throw new FormatException("the code is not JSON: " + exception.Message, exception);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new FormatException("the code must be a JSON object");
            var extras = root.TryGetProperty(ExtrasBundle, out var bundle) ? bundle : root;
            if (extras.ValueKind != JsonValueKind.Object)
                throw new FormatException($"{ExtrasBundle} must be a JSON object");
            var version = Number(extras, VersionKey);
            if (version != EnrollmentCode.CurrentVersion)
                throw new FormatException($"the code is of version {version}; this agent reads version {EnrollmentCode.CurrentVersion}");
            var urls = Text(extras, UrlsKey).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (urls.Length == 0)
                throw new FormatException($"{UrlsKey} names no appliance URL");
            return new EnrollmentCode(
                version, urls, Text(extras, TokenKey), Text(extras, SiteKey), Text(extras, BatchKey), Number(extras, SlotKey), Text(extras, PinKey), Text(extras, SignatureKey));
        }
    }

    private static string Text(JsonElement bundle, string key) =>
        bundle.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new FormatException($"the code has no {key}");

    private static int Number(JsonElement bundle, string key) =>
        int.TryParse(Text(bundle, key), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new FormatException($"{key} must be a whole number");
}
