namespace EdgeMdm.Cloud.Tests;

public sealed class MigrationTests
{
    [Fact]
    public void Both_backends_have_the_same_numbered_migrations()
    {
        // Act
        var sqlite = Migrations.For("Sqlite");
        var postgres = Migrations.For("Postgres");

        // Assert: a schema change made for one backend only would make the conformance suite's backends differ
        Assert.NotEmpty(sqlite);
        Assert.Equal(sqlite.Select(m => (m.Version, m.Name)), postgres.Select(m => (m.Version, m.Name)));
    }

    [Fact]
    public void Migrations_after_the_first_are_the_same_text_on_both_backends()
    {
        // Act
        var sqlite = Migrations.For("Sqlite").Skip(1).ToList();
        var postgres = Migrations.For("Postgres").Skip(1).ToList();

        // Assert: 0002 on adds the same columns and indexes to both, so one text serves both dialects
        Assert.Contains(sqlite, m => m is { Version: 2, Name: "site_backlog_and_command_reason" });
        Assert.Equal(sqlite.Select(m => string.Join(";\n", m.Statements)), postgres.Select(m => string.Join(";\n", m.Statements)));
    }
}
