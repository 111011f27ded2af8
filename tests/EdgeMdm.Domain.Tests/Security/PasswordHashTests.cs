using EdgeMdm.Domain.Security;

namespace EdgeMdm.Domain.Tests.Security;

public sealed class PasswordHashTests
{
    // Few iterations keep the tests fast; the format and the checks are the same at any count.
    private const int FastIterations = 1_000;

    [Fact]
    public void The_right_password_verifies_and_a_wrong_one_does_not()
    {
        // Arrange
        var stored = PasswordHash.Create("correct horse battery", FastIterations);

        // Act / Assert
        Assert.True(PasswordHash.Verify("correct horse battery", stored));
        Assert.False(PasswordHash.Verify("correct horse batterY", stored));
        Assert.False(PasswordHash.Verify("", stored));
    }

    [Fact]
    public void The_hash_describes_its_algorithm_and_iterations_and_holds_no_clear_text()
    {
        // Act
        var stored = PasswordHash.Create("s3cret-s3cret", FastIterations);

        // Assert
        var parts = stored.Split('$');
        Assert.Equal(4, parts.Length);
        Assert.Equal("pbkdf2-sha256", parts[0]);
        Assert.Equal("1000", parts[1]);
        Assert.Equal(16, Convert.FromBase64String(parts[2]).Length);
        Assert.Equal(32, Convert.FromBase64String(parts[3]).Length);
        Assert.DoesNotContain("s3cret", stored, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_password_hashes_differently_each_time_because_of_the_salt()
    {
        // Act
        var first = PasswordHash.Create("same password", FastIterations);
        var second = PasswordHash.Create("same password", FastIterations);

        // Assert
        Assert.NotEqual(first, second);
        Assert.True(PasswordHash.Verify("same password", first));
        Assert.True(PasswordHash.Verify("same password", second));
    }

    [Fact]
    public void A_hash_made_with_another_iteration_count_still_verifies()
    {
        // Arrange: a hash stored when the default was lower, read after it grew
        var older = PasswordHash.Create("grown over time", 500);

        // Act / Assert
        Assert.True(PasswordHash.Verify("grown over time", older));
    }

    [Fact]
    public void The_default_iteration_count_is_in_the_stored_hash()
    {
        // Act
        var stored = PasswordHash.Create("default count");

        // Assert
        Assert.Equal(PasswordHash.DefaultIterations.ToString(System.Globalization.CultureInfo.InvariantCulture), stored.Split('$')[1]);
        Assert.True(PasswordHash.Verify("default count", stored));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain text")]
    [InlineData("sha256$1000$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$abc$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$0$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$999999999$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$1000$not base64!$aGFzaA==")]
    [InlineData("pbkdf2-sha256$1000$$aGFzaA==")]
    [InlineData("pbkdf2-sha256$1000$c2FsdA==$aGFzaA==$extra")]
    public void A_stored_value_that_is_not_a_well_formed_hash_verifies_nothing(string stored)
    {
        // Act / Assert
        Assert.False(PasswordHash.IsWellFormed(stored));
        Assert.False(PasswordHash.Verify("anything", stored));
    }

    [Fact]
    public void A_generated_password_is_long_random_and_verifies()
    {
        // Act
        var first = GeneratedPassword.New();
        var second = GeneratedPassword.New();

        // Assert
        Assert.Equal(20, first.Length);
        Assert.NotEqual(first, second);
        Assert.All(first, c => Assert.True(char.IsAsciiLetterOrDigit(c)));
        Assert.True(PasswordHash.Verify(first, PasswordHash.Create(first, FastIterations)));
    }

    [Theory]
    [InlineData("alice", true)]
    [InlineData("alice.martin@acme.example", true)]
    [InlineData("op_7-b", true)]
    [InlineData("", false)]
    [InlineData(".alice", false)]
    [InlineData("alice martin", false)]
    [InlineData("alice/../x", false)]
    public void User_names_are_plain(string name, bool valid) => Assert.Equal(valid, UserNames.IsValid(name));
}
