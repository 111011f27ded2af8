using EdgeMdm.Domain.Schema;

namespace EdgeMdm.Domain.Tests.Schema;

public sealed class MigrationTests
{
    [Fact]
    public void Files_come_back_in_number_order_with_their_statements_and_without_comments()
    {
        // Act
        var migrations = Migration.Numbered(
            [("0002_add_index", "CREATE INDEX i ON t (a); -- for lookups\n"), ("0001_initial", "-- the first table\nCREATE TABLE t (a INT);\nCREATE TABLE u (b INT);")],
            "test");

        // Assert
        Assert.Equal([(1, "initial"), (2, "add_index")], migrations.Select(m => (m.Version, m.Name)));
        Assert.Equal(["CREATE TABLE t (a INT)", "CREATE TABLE u (b INT)"], migrations[0].Statements);
        Assert.Equal(["CREATE INDEX i ON t (a)"], migrations[1].Statements);
    }

    [Theory]
    [InlineData("0001_initial", "0003_later", "found 3 at position 2")]
    [InlineData("0001_initial", "0001_again", "found 1 at position 2")]
    [InlineData("0002_second", "0003_third", "found 2 at position 1")]
    public void A_gap_or_a_repeated_number_is_refused_with_where_it_is(string first, string second, string expected)
    {
        // Act
        var error = Assert.Throws<InvalidOperationException>(() => Migration.Numbered([(first, "SELECT 1"), (second, "SELECT 2")], "Sqlite"));

        // Assert
        Assert.StartsWith("Sqlite migrations must be numbered 1, 2, 3... without gaps", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_not_named_by_its_number_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Migration.Numbered([("initial", "SELECT 1")], "test"));

        Assert.Contains("'initial' is not named NNNN_name.sql", error.Message, StringComparison.Ordinal);
    }
}
