using Microsoft.AspNetCore.Http;

namespace EdgeMdm.ServiceDefaults.Tests;

public sealed class BearerCredentialTests
{
    [Theory]
    [InlineData("Bearer s3cret", "s3cret")]
    [InlineData("bearer s3cret", "s3cret")]
    [InlineData("BEARER   s3cret  ", "s3cret")]
    [InlineData("Bearer ", null)]
    [InlineData("Bearer     ", null)]
    [InlineData("Basic dXNlcjpwYXNz", null)]
    [InlineData("Bearers3cret", null)]
    [InlineData("", null)]
    public void Reads_the_credential_of_a_bearer_header_and_nothing_else(string header, string? expected)
    {
        var request = new DefaultHttpContext().Request;
        request.Headers.Authorization = header;

        Assert.Equal(expected, BearerCredential.From(request));
    }

    [Fact]
    public void A_request_without_the_header_has_no_credential() =>
        Assert.Null(BearerCredential.From(new DefaultHttpContext().Request));

    [Fact]
    public void A_credential_longer_than_the_limit_is_not_one()
    {
        var request = new DefaultHttpContext().Request;
        request.Headers.Authorization = "Bearer " + new string('a', BearerCredential.MaxLength);
        Assert.Equal(BearerCredential.MaxLength, BearerCredential.From(request)!.Length);

        request.Headers.Authorization = "Bearer " + new string('a', BearerCredential.MaxLength + 1);
        Assert.Null(BearerCredential.From(request));
    }
}
