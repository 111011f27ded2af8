using System.Security.Cryptography;
using System.Text;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Domain.Tests.Blueprints;

public sealed class CanonicalHashTests
{
    [Fact]
    public void Hash_does_not_depend_on_dictionary_insertion_order()
    {
        // Arrange
        var first = new Dictionary<string, string>(StringComparer.Ordinal) { ["ssid"] = "dc-floor", ["security"] = "wpa3", ["band"] = "5" };
        var second = new Dictionary<string, string>(StringComparer.Ordinal) { ["band"] = "5", ["ssid"] = "dc-floor", ["security"] = "wpa3" };

        // Act / Assert
        Assert.Equal(CanonicalHash.Of(first), CanonicalHash.Of(second));
    }

    [Fact]
    public void Hash_does_not_depend_on_the_dictionary_type_or_its_comparer()
    {
        // Arrange
        var ordinal = new Dictionary<string, string>(StringComparer.Ordinal) { ["b"] = "2", ["a"] = "1" };
        var sorted = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["a"] = "1", ["b"] = "2" };

        // Act / Assert
        Assert.Equal(CanonicalHash.Of(ordinal), CanonicalHash.Of(sorted));
    }

    [Fact]
    public void Hash_is_truncated_sha256_of_compact_json_in_ordinal_key_order()
    {
        // Arrange: devices compute the same hash on their own, so the canonical bytes are part of the contract.
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["b"] = "2", ["a"] = "1", ["B"] = "3" };
        var canonical = """{"B":"3","a":"1","b":"2"}""";
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)).AsSpan(0, 16));

        // Act
        var hash = CanonicalHash.Of(values);

        // Assert
        Assert.Equal(expected, hash);
    }

    [Fact]
    public void Hash_is_32_lowercase_hex_digits()
    {
        // Act
        var hash = CanonicalHash.Of(new Dictionary<string, string>(StringComparer.Ordinal) { ["k"] = "v" });

        // Assert
        Assert.Matches("^[0-9a-f]{32}$", hash);
    }

    [Theory]
    [InlineData("ssid", "dc-floor-2")]
    [InlineData("SSID", "dc-floor")]
    [InlineData("ssid ", "dc-floor")]
    public void Hash_changes_when_a_key_or_value_changes(string key, string value)
    {
        // Arrange
        var original = new Dictionary<string, string>(StringComparer.Ordinal) { ["ssid"] = "dc-floor" };
        var changed = new Dictionary<string, string>(StringComparer.Ordinal) { [key] = value };

        // Act / Assert
        Assert.NotEqual(CanonicalHash.Of(original), CanonicalHash.Of(changed));
    }

    [Fact]
    public void Empty_payload_has_a_hash_of_its_own()
    {
        // Act
        var empty = CanonicalHash.Of(new Dictionary<string, string>(StringComparer.Ordinal));
        var one = CanonicalHash.Of(new Dictionary<string, string>(StringComparer.Ordinal) { [""] = "" });

        // Assert
        Assert.Matches("^[0-9a-f]{32}$", empty);
        Assert.NotEqual(empty, one);
    }

    [Fact]
    public void Sorted_orders_keys_ordinally()
    {
        // Arrange
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["b"] = "2", ["a"] = "1", ["B"] = "3", ["_"] = "4" };

        // Act
        var sorted = CanonicalHash.Sorted(values);

        // Assert
        Assert.Equal(["B", "_", "a", "b"], sorted.Keys);
        Assert.Equal(["3", "4", "1", "2"], sorted.Values);
    }

    [Fact]
    public void Configuration_payload_hash_is_the_canonical_hash_of_its_values()
    {
        // Arrange
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["ssid"] = "dc-floor" };

        // Act
        var payload = new ConfigurationPayload("wifi", values);

        // Assert
        Assert.Equal(CanonicalHash.Of(values), payload.Hash);
    }

    [Fact]
    public void Sha256Hex_is_full_lowercase_sha256_of_utf8_text()
    {
        // Act
        var hash = CanonicalHash.Sha256Hex("abc");

        // Assert: the FIPS 180-2 test vector.
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hash);
    }

    [Fact]
    public void Null_input_is_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => CanonicalHash.Of(null!));
        Assert.Throws<ArgumentNullException>(() => CanonicalHash.Sorted(null!));
        Assert.Throws<ArgumentNullException>(() => CanonicalHash.Sha256Hex(null!));
    }
}
