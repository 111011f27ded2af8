using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EdgeMdm.Cli.Blueprints;
using EdgeMdm.Cli.Credentials;
using EdgeMdm.Cli.Hub;
using EdgeMdm.Cli.Reports;
using EdgeMdm.Domain.Security;
using EdgeMdm.Domain.Text;

namespace EdgeMdm.Cli;

/// <summary>
/// <c>edgemdm</c>: central IT's command line for the cloud hub. Every command but <c>login</c> calls the hub's
/// REST API with the API token from the credential file (or <c>--server</c>/<c>--token</c>, or
/// <c>EDGEMDM_SERVER</c>/<c>EDGEMDM_TOKEN</c>). Output goes to the writers given, so tests run it in-process.
/// Errors: one line on stderr and exit 1 (refused) or 2 (bad usage).
/// </summary>
public static class AdminCli
{
    public const string DefaultServer = "http://127.0.0.1:9080";
    private const string Name = "edgemdm";
    private const string NotSignedIn = "not signed in: run 'edgemdm login --server URL --user NAME' (or --token T)";

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) =>
        RunAsync(args, stdout, stderr, Environment.GetEnvironmentVariable, TimeProvider.System);

    /// <param name="environment">Reads an environment variable; tests pass their own so they never see the real one.</param>
    /// <param name="time">The clock reports measure staleness against.</param>
    /// <param name="stdin">Where <c>--password-stdin</c> reads from; null means the process's standard input.</param>
    internal static async Task<int> RunAsync(
        string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?> environment, TimeProvider time, TextReader? stdin = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(time);

        var session = new Session(stdout, stderr, stdin, environment, time);
        var parsed = session.BuildCommands().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // "Unrecognized command or argument 'x'" says more than the "Required command was not provided" that comes with it.
            var error = parsed.Errors.OrderBy(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal) ? 0 : 1).First();
            await stderr.WriteLineAsync($"{Name}: {OneLine(error.Message)} (see '{Name} --help')");
            return 2;
        }

        try
        {
            // Our own handler below turns refusals into one line; System.CommandLine's would print a stack trace.
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (CliException exception)
        {
            await stderr.WriteLineAsync($"{Name}: {OneLine(exception.Message)}");
            return exception.ExitCode;
        }
        catch (HubException exception)
        {
            await stderr.WriteLineAsync($"{Name}: {OneLine(exception.Message)}");
            return 1;
        }
        catch (HubUnreachableException exception)
        {
            await stderr.WriteLineAsync($"{Name}: {OneLine(exception.Message)}");
            return 1;
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    /// <summary>One invocation: where output goes, the environment, and the options every command shares.</summary>
    private sealed class Session(TextWriter output, TextWriter errors, TextReader? input, Func<string, string?> environment, TimeProvider time)
    {
        private readonly Option<string> _server = new("--server")
        {
            Description = $"hub URL (default: $EDGEMDM_SERVER, the credential file, or {DefaultServer})",
            Recursive = true,
        };

        private readonly Option<string> _token = new("--token")
        {
            Description = "API token (default: $EDGEMDM_TOKEN or the credential file)",
            Recursive = true,
        };

        private readonly Option<string> _credentials = new("--credentials")
        {
            Description = "credential file (default: $EDGEMDM_CREDENTIALS or ~/.config/edgemdm/credentials.json)",
            Recursive = true,
        };

        public RootCommand BuildCommands()
        {
            var root = new RootCommand("EdgeMdm admin CLI: sites, blueprints (GitOps), devices, commands and reports on the cloud hub.")
            {
                _server, _token, _credentials,
            };
            root.Subcommands.Add(Login());
            root.Subcommands.Add(Sites());
            root.Subcommands.Add(Blueprints());
            root.Subcommands.Add(Devices());
            root.Subcommands.Add(Commands());
            root.Subcommands.Add(Tokens());
            root.Subcommands.Add(Report());
            root.Subcommands.Add(Accounts());
            root.Subcommands.Add(SiteUsers());
            root.Subcommands.Add(Packages());
            root.Subcommands.Add(Rollouts());
            return root;
        }

        private static Option<bool> Json() => new("--json") { Description = "print JSON for scripts instead of a table" };

        private Command Login()
        {
            var noVerify = new Option<bool>("--no-verify") { Description = "with --token: write the credential file without checking the token against the hub" };
            var user = new Option<string>("--user") { Description = "sign in with this account (asks the hub for a token valid 30 days) instead of --token" };
            var tenant = new Option<string>("--tenant") { Description = "the account's tenant (default: the hub's 'default')" };
            var passwordStdin = PasswordStdin();
            var login = new Command(
                "login",
                "sign in to the hub with an account (--user) or an API token (--token) and store the token in the credential file (mode 0600)")
            {
                noVerify, user, tenant, passwordStdin,
            };
            login.SetAction(async (result, cancellationToken) =>
            {
                var userName = NonEmpty(result.GetValue(user));
                var givenToken = NonEmpty(result.GetValue(_token));
                if (result.GetValue(_server) is not { Length: > 0 } serverText || (userName is null) == (givenToken is null))
                    throw new CliException("login needs --server URL and either --user NAME or --token T", 2);
                if (userName is null && (result.GetValue(tenant) is not null || result.GetValue(passwordStdin)))
                    throw new CliException("--tenant and --password-stdin go with --user", 2);
                var server = ServerUri(serverText);
                string token;
                var signedInAs = "";
                if (userName is not null)
                {
                    var password = await ReadPasswordAsync(result.GetValue(passwordStdin), $"password for {userName}: ");
                    using var hub = new HubClient(server, token: null);
                    var signedIn = await hub.LoginAsync(userName, password, NonEmpty(result.GetValue(tenant)), cancellationToken);
                    token = signedIn.Token ?? throw new HubException("Unexpected answer", "the hub answered the sign-in without a token");
                    signedInAs = $" as {userName} (tenant {signedIn.Tenant ?? "default"}, until {(signedIn.ExpiresAt is { } at ? Time(at) : "-")})";
                }
                else
                {
                    token = givenToken!;
                    if (!result.GetValue(noVerify))
                    {
                        using var hub = new HubClient(server, token);
                        await hub.ListSitesAsync(cancellationToken);
                    }
                }

                var path = CredentialsPath(result);
                CredentialFile.Write(path, new HubCredentials(server.ToString(), token));
                await output.WriteLineAsync($"signed in to {server}{signedInAs} (credentials in {Path.GetFullPath(path)})");
                return 0;
            });
            return login;
        }

        private static Option<bool> PasswordStdin() => new("--password-stdin")
        {
            Description = "read the password from the first line of standard input (for scripts; otherwise it is asked for, or generated where that is offered)",
        };

        /// <summary>
        /// The password from the first line of standard input with <c>--password-stdin</c>, otherwise typed at
        /// the terminal without echo. Refused when there is neither: a password must never be a command-line
        /// argument, where every user of the machine can read it.
        /// </summary>
        private async Task<string> ReadPasswordAsync(bool fromStdin, string prompt)
        {
            string? password;
            if (fromStdin)
            {
                password = await (input ?? Console.In).ReadLineAsync();
            }
            else if (input is null && !Console.IsInputRedirected)
            {
                await errors.WriteAsync(prompt);
                password = ReadHidden();
                await errors.WriteLineAsync();
            }
            else
            {
                throw new CliException("standard input is not a terminal: give --password-stdin to read the password from it", 2);
            }

            return string.IsNullOrEmpty(password) ? throw new CliException("the password is empty", 2) : password;
        }

        /// <summary>A line typed at the terminal, not echoed.</summary>
        private static string ReadHidden()
        {
            var typed = new System.Text.StringBuilder();
            for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
            {
                if (key.Key == ConsoleKey.Backspace)
                {
                    if (typed.Length > 0)
                        typed.Length--;
                }
                else if (!char.IsControl(key.KeyChar))
                {
                    typed.Append(key.KeyChar);
                }
            }

            return typed.ToString();
        }

        private Command Accounts()
        {
            var name = new Argument<string>("name") { Description = "the account's user name (letters, digits, '.', '_', '-', '@')" };
            var passwordStdin = PasswordStdin();
            var addJson = Json();
            var add = new Command(
                "add",
                "add a central IT account to your tenant; without --password-stdin the hub generates a strong password, printed this once")
            {
                name, passwordStdin, addJson,
            };
            add.SetAction(async (result, cancellationToken) =>
            {
                var userName = result.GetValue(name)!;
                var password = result.GetValue(passwordStdin) ? await ReadPasswordAsync(fromStdin: true, "") : null;
                using var hub = Connect(result);
                var added = await hub.AddAccountAsync(userName, password, cancellationToken);
                var row = new AccountRow(added.UserName ?? userName, null, added.Password);
                if (result.GetValue(addJson))
                {
                    await output.WriteLineAsync(JsonSerializer.Serialize(row, CliJson.Default.AccountRow));
                    return 0;
                }

                await output.WriteLineAsync($"account   {row.UserName}");
                if (row.Password is not null)
                {
                    await output.WriteLineAsync($"password  {row.Password}");
                    await output.WriteLineAsync("Hand the password over now: it will not be shown again.");
                }

                return 0;
            });

            var listJson = Json();
            var list = new Command("list", "the central IT accounts of your tenant") { listJson };
            list.SetAction(async (result, cancellationToken) =>
            {
                using var hub = Connect(result);
                var accounts = (await hub.ListAccountsAsync(cancellationToken)).Select(a => new AccountRow(a.UserName ?? "", a.CreatedAt)).ToList();
                return Print(result, listJson, accounts, CliJson.Default.ListAccountRow, () =>
                    Table.Write(output, ["USER", "CREATED"], accounts.Select(a => new[] { a.UserName, a.CreatedAt is { } at ? Time(at) : "-" })));
            });

            var removeName = new Argument<string>("name") { Description = "the account's user name" };
            var remove = new Command("remove", "remove an account; the tokens it signed in for stop working at once") { removeName };
            remove.SetAction(async (result, cancellationToken) =>
            {
                using var hub = Connect(result);
                await hub.RemoveAccountAsync(result.GetValue(removeName)!, cancellationToken);
                await output.WriteLineAsync($"account {result.GetValue(removeName)} removed");
                return 0;
            });
            return new Command("accounts", "central IT's accounts (user name and password) in your tenant") { add, list, remove };
        }

        private static Option<string> SiteOption() => new("--site") { Description = "the site's id (see 'edgemdm sites list')", Required = true };

        private Command SiteUsers()
        {
            var listSite = SiteOption();
            var listJson = Json();
            var list = new Command("list", "the people who may sign in to the site's appliance") { listSite, listJson };
            list.SetAction(async (result, cancellationToken) =>
            {
                var siteId = result.GetValue(listSite)!;
                using var hub = Connect(result);
                var users = (await hub.ListSiteUsersAsync(siteId, cancellationToken))
                    .Select(u => new SiteUserRow(siteId, u.UserName ?? "", u.Role ?? "", u.UpdatedAt))
                    .ToList();
                return Print(result, listJson, users, CliJson.Default.ListSiteUserRow, () =>
                    Table.Write(output, ["USER", "ROLE", "UPDATED"], users.Select(u => new[] { u.UserName, u.Role, u.UpdatedAt is { } at ? Time(at) : "-" })));
            });

            var removeSite = SiteOption();
            var removeName = new Argument<string>("name") { Description = "the site user's name" };
            var remove = new Command("remove", "remove a site user; the site drops them at its next sync") { removeSite, removeName };
            remove.SetAction(async (result, cancellationToken) =>
            {
                var (siteId, userName) = (result.GetValue(removeSite)!, result.GetValue(removeName)!);
                using var hub = Connect(result);
                await hub.RemoveSiteUserAsync(siteId, userName, cancellationToken);
                await output.WriteLineAsync($"removed {userName} from site {siteId}");
                return 0;
            });
            return new Command("site-users", "the supervisors and operators who sign in to a site's appliance (owned by the hub, synced to the site)")
            {
                SiteUserAdd(), list, remove,
            };
        }

        private Command SiteUserAdd()
        {
            var site = SiteOption();
            var name = new Argument<string>("name") { Description = "the user name they sign in to the appliance with" };
            var role = new Option<string>("--role") { Description = "supervisor (runs the site) or operator (works the floor)", Required = true };
            role.AcceptOnlyFromAmong(SiteUserRoles.Supervisor, SiteUserRoles.Operator);
            var passwordStdin = PasswordStdin();
            var addJson = Json();
            var add = new Command(
                "add",
                "add a person who signs in to the site's appliance, or set the role and password of one it has; without --password-stdin " +
                "the hub generates a strong password, printed this once. The site gets it (as a hash only) at its next sync.")
            {
                site, name, role, passwordStdin, addJson,
            };
            add.SetAction(async (result, cancellationToken) =>
            {
                var (siteId, userName) = (result.GetValue(site)!, result.GetValue(name)!);
                var password = result.GetValue(passwordStdin) ? await ReadPasswordAsync(fromStdin: true, "") : null;
                using var hub = Connect(result);
                var saved = await hub.SaveSiteUserAsync(siteId, userName, result.GetValue(role)!, password, cancellationToken);
                var row = new SiteUserRow(saved.SiteId ?? siteId, saved.UserName ?? userName, saved.Role ?? result.GetValue(role)!, null, saved.Password);
                if (result.GetValue(addJson))
                {
                    await output.WriteLineAsync(JsonSerializer.Serialize(row, CliJson.Default.SiteUserRow));
                    return 0;
                }

                await output.WriteLineAsync($"{(saved.Created == false ? "updated" : "added")} {row.UserName} ({row.Role}) at site {row.SiteId}");
                if (row.Password is not null)
                {
                    await output.WriteLineAsync($"password  {row.Password}");
                    await output.WriteLineAsync("Hand the password over now: it will not be shown again.");
                }

                return 0;
            });

            return add;
        }

        private Command Packages()
        {
            var file = new Argument<string>("file") { Description = "the package file (an APK or any file), streamed to the hub" };
            var packageName = new Option<string>("--package-name") { Description = "Android package name, e.g. com.acme.scan", Required = true };
            var versionCode = new Option<long>("--version-code") { Description = "the integer version blueprints and rollouts target", Required = true };
            var versionName = new Option<string>("--version-name") { Description = "the version people read, e.g. 4.1.2", Required = true };
            var minOs = new Option<string>("--min-os") { Description = "oldest OS version it installs on, e.g. 11 or 8.1 (default: any)" };
            var uploadJson = Json();
            var upload = new Command(
                "upload",
                "upload a package file: the hub stores it under its SHA-256, signs its manifest and sends it to every site of the tenant. " +
                "Prints the SHA-256 (the signed manifest with --json); the same file again changes nothing")
            {
                file, packageName, versionCode, versionName, minOs, uploadJson,
            };
            upload.SetAction(async (result, cancellationToken) =>
            {
                var path = result.GetValue(file)!;
                FileStream stream;
                try
                {
                    stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81_920, FileOptions.Asynchronous | FileOptions.SequentialScan);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    throw new CliException($"package file {path}: {exception.Message}");
                }

                await using (stream)
                {
                    // No overall timeout: a large package on a slow line takes as long as it takes.
                    using var hub = Connect(result, Timeout.InfiniteTimeSpan);
                    var package = PackageRow.Of(await hub.UploadPackageAsync(
                        stream, result.GetValue(packageName)!, result.GetValue(versionCode), result.GetValue(versionName)!,
                        NonEmpty(result.GetValue(minOs)), cancellationToken));
                    await output.WriteLineAsync(result.GetValue(uploadJson) ? JsonSerializer.Serialize(package, CliJson.Default.PackageRow) : package.Sha256);
                    return 0;
                }
            });

            var listName = new Option<string>("--package-name") { Description = "only the versions of this package" };
            var listJson = Json();
            var list = new Command("list", "the tenant's packages, by name then version code") { listName, listJson };
            list.SetAction(async (result, cancellationToken) =>
            {
                using var hub = Connect(result);
                var packages = (await hub.ListPackagesAsync(NonEmpty(result.GetValue(listName)), cancellationToken))
                    .Select(PackageRow.Of)
                    .OrderBy(p => p.PackageName, StringComparer.Ordinal).ThenBy(p => p.VersionCode)
                    .ToList();
                return Print(result, listJson, packages, CliJson.Default.ListPackageRow, () =>
                    Table.Write(
                        output,
                        ["PACKAGE", "VERSION", "CODE", "SIZE", "MIN-OS", "SHA256", "PUBLISHED"],
                        packages.Select(p => new[]
                        {
                            p.PackageName, p.VersionName, p.VersionCode is { } code ? Number(code) : "-", p.SizeBytes is { } size ? Number(size) : "-",
                            p.MinOsVersion ?? "-", p.Sha256, p.PublishedAt is { } at ? Time(at) : "-",
                        })));
            });
            return new Command("packages", "the tenant's package catalog: upload files, list signed manifests") { upload, list };
        }

        private Command Rollouts()
        {
            var packageName = new Option<string>("--package-name") { Description = "the package, e.g. com.acme.scan", Required = true };
            var site = new Option<string>("--site") { Description = "only the devices of this site" };
            var json = new Option<bool>("--json") { Description = "print the hub's answer (GET /api/v1/rollouts) as JSON" };
            var show = new Command(
                "show",
                "each group's current rollout of the package: from and to version, per site the waves (done ✓, open, closed) or why it halted, " +
                "devices by state (installed, pending, failed, incompatible, offline) and failure reason per site and in total, then the stragglers, " +
                "oldest check-in first. Judged from what the devices last reported, as of their sites' last sync")
            {
                packageName, site, json,
            };
            show.SetAction(async (result, cancellationToken) =>
            {
                using var hub = Connect(result);
                var (answer, rollouts) = await hub.GetRolloutsAsync(result.GetValue(packageName)!, NonEmpty(result.GetValue(site)), cancellationToken);
                if (result.GetValue(json))
                {
                    await output.WriteLineAsync(JsonSerializer.Serialize(answer, CliJson.Default.JsonElement));
                    return 0;
                }

                for (var i = 0; i < rollouts.Count; i++)
                {
                    if (i > 0)
                        output.WriteLine();
                    WriteRollout(rollouts[i]);
                }

                return 0;
            });
            return new Command("rollouts", "app version rollouts that blueprint changes started, as the sites report them") { show };
        }

        private void WriteRollout(HubRollout rollout)
        {
            output.WriteLine(
                $"group {rollout.Group}: {rollout.PackageName} {Version(rollout.FromVersionCode, rollout.FromVersionName)} → " +
                $"{Version(rollout.ToVersionCode, rollout.ToVersionName)}, started {(rollout.StartedAt is { } at ? Time(at) : "-")}" +
                (rollout.MinOsVersion is { } minOs ? $", min OS {minOs}" : ""));
            var sites = rollout.Sites ?? [];
            if (sites.Count == 0)
            {
                output.WriteLine("  no device of the group has reported yet");
                return;
            }

            foreach (var s in sites)
            {
                var waves = string.Join(", ", (s.Waves ?? []).Select(w => $"{w.Label} {(string.Equals(w.State, "done", StringComparison.Ordinal) ? "✓" : w.State)}"));
                output.WriteLine(s.Halted is { } reason ? $"  {s.SiteId}: HALTED: {reason} (waves: {waves})" : $"  {s.SiteId}: waves: {waves}");
            }

            output.WriteLine();
            Table.Write(
                output,
                ["SITE", "DEVICES", "INSTALLED", "PENDING", "FAILED", "INCOMPATIBLE", "OFFLINE", "FAILURES"],
                sites.Select(s => CountsRow(s.SiteId ?? "", s.Counts)).Append(CountsRow("total", rollout.Total)));

            var stragglers = rollout.Stragglers ?? [];
            output.WriteLine();
            if (stragglers.Count == 0)
            {
                output.WriteLine("stragglers: none");
                return;
            }

            output.WriteLine("stragglers (oldest check-in first):");
            Table.Write(
                output,
                ["SITE", "DEVICE", "SERIAL", "STATE", "REASON", "LAST CHECK-IN"],
                stragglers.Select(d => new[]
                {
                    d.SiteId ?? "", d.DeviceId ?? "", NonEmpty(d.Serial) ?? "-", d.State ?? "", d.Reason ?? "-", d.LastCheckIn is { } at ? Time(at) : "never",
                }));
        }

        private static string[] CountsRow(string label, HubRolloutCounts? c)
        {
            if (c is null)
                return [label, "-", "-", "-", "-", "-", "-", "-"];
            var failures = (c.FailedByReason ?? new Dictionary<string, int>(StringComparer.Ordinal))
                .Where(r => r.Value > 0)
                .OrderBy(r => r.Key, StringComparer.Ordinal)
                .Select(r => $"{r.Key} {Number(r.Value)}")
                .ToList();
            return
            [
                label, Number(c.Devices), Number(c.Installed), Number(c.Pending), Number(c.Failed), Number(c.Incompatible), Number(c.Offline),
                failures.Count == 0 ? "-" : string.Join(", ", failures),
            ];
        }

        /// <summary><c>120 (1.2.0)</c>, or the code alone when the name says nothing more.</summary>
        private static string Version(long? code, string? name)
        {
            var number = code is { } c ? Number(c) : "-";
            return string.IsNullOrEmpty(name) || string.Equals(name, number, StringComparison.Ordinal) ? number : $"{number} ({name})";
        }

        private Command Sites()
        {
            var name = new Argument<string>("name") { Description = "the site's name, e.g. \"Lyon DC\"" };
            var addJson = Json();
            var add = new Command("add", "register a site; prints its id and credential (shown this once only)") { name, addJson };
            add.SetAction(async (result, cancellationToken) =>
            {
                using var hub = Connect(result);
                var created = await hub.AddSiteAsync(result.GetValue(name)!, cancellationToken);
                var added = new SiteAdded(created.Site, created.Credential ?? "");
                if (result.GetValue(addJson))
                {
                    await output.WriteLineAsync(JsonSerializer.Serialize(added, CliJson.Default.SiteAdded));
                    return 0;
                }

                await output.WriteLineAsync($"site        {added.SiteId}");
                await output.WriteLineAsync($"credential  {added.Credential}");
                await output.WriteLineAsync("Store the credential on the site's appliance now: it will not be shown again.");
                return 0;
            });

            var listJson = Json();
            var list = new Command(
                "list",
                "every site with its last sync, uplink, backlog (changes the site holds that the hub has not applied) and lag " +
                "(age of its oldest pending change, plus the time since it last reported when it has gone silent); '-' when the site has not reported them")
            {
                listJson,
            };
            list.SetAction(async (result, cancellationToken) =>
            {
                using var hub = Connect(result);
                var sites = (await hub.ListSitesAsync(cancellationToken))
                    .Select(s => new SiteRow(s.Site, s.Name ?? "", s.LastSyncAt, s.AppliedThrough, s.FeedHead, s.Backlog, s.LagSeconds, s.UplinkState))
                    .OrderBy(s => s.SiteId, StringComparer.Ordinal)
                    .ToList();
                return Print(result, listJson, sites, CliJson.Default.ListSiteRow, () =>
                    Table.Write(
                        output,
                        ["SITE", "NAME", "LAST SYNC", "UPLINK", "BACKLOG", "LAG", "APPLIED", "FEED"],
                        sites.Select(s => new[]
                        {
                            s.SiteId, s.Name, s.LastSyncAt is { } at ? Time(at) : "never", s.UplinkState ?? "-", Number(s.Backlog),
                            s.LagSeconds is { } lag ? Lag(lag) : "-", Number(s.AppliedThrough), Number(s.FeedHead),
                        })));
            });
            return new Command("sites", "sites (appliances) registered with the hub") { add, list };
        }

        private Command Blueprints()
        {
            var file = new Option<string>("--file", "-f") { Description = "YAML file with 'blueprints:' (the seed file's shape)", Required = true };
            var dryRun = new Option<bool>("--dry-run") { Description = "print the full diff and change nothing" };
            var json = Json();
            var apply = new Command(
                "apply",
                "make the hub hold exactly the file's blueprints: create or update those that differ, delete groups not in the file. " +
                "Lines: '+ group X (new)', '- group Y (deleted)', '~ group Z: what changed'. Applying the same file again changes nothing.")
            {
                file, dryRun, json,
            };
            apply.SetAction(async (result, cancellationToken) =>
            {
                // The file is validated before anything is asked of the hub: a bad file sends nothing.
                var path = result.GetValue(file)!;
                var desired = BlueprintFile.Load(path);
                using var hub = Connect(result);
                var current = await hub.ListBlueprintsAsync(cancellationToken);
                var changes = BlueprintPlan.Compare(desired, current);
                var isDryRun = result.GetValue(dryRun);
                var asJson = result.GetValue(json);
                if (!asJson)
                {
                    foreach (var change in changes)
                        await output.WriteLineAsync(change.Line);
                }

                if (!isDryRun)
                {
                    // Creates and updates first, deletions last: a failure half-way leaves groups that still
                    // have a blueprint rather than devices without one.
                    foreach (var change in changes.Where(c => c.Kind != ChangeKind.Delete))
                        await hub.PutBlueprintAsync(change.Blueprint!, cancellationToken);
                    foreach (var change in changes.Where(c => c.Kind == ChangeKind.Delete))
                        await hub.DeleteBlueprintAsync(change.Group, cancellationToken);
                }

                if (asJson)
                {
                    var rows = changes.Select(c => new ChangeRow(c.Kind.ToString().ToLowerInvariant(), c.Group, c.Details)).ToList();
                    await output.WriteLineAsync(JsonSerializer.Serialize(new ApplyResult(isDryRun, rows), CliJson.Default.ApplyResult));
                    return 0;
                }

                await output.WriteLineAsync(Summary(changes, isDryRun));
                return 0;
            });
            return new Command("blueprints", "desired state per device group, kept in git and applied to the hub") { apply };
        }

        private static string Summary(IReadOnlyList<BlueprintChange> changes, bool dryRun)
        {
            if (changes.Count == 0)
                return "no changes";
            var counts = $"{Count(changes, ChangeKind.Create)} to create, {Count(changes, ChangeKind.Update)} to change, {Count(changes, ChangeKind.Delete)} to delete";
            return dryRun ? $"dry run: {counts}; nothing was sent" : $"applied: {counts.Replace(" to ", " ", StringComparison.Ordinal)}";
        }

        private static string Count(IReadOnlyList<BlueprintChange> changes, ChangeKind kind) =>
            changes.Count(c => c.Kind == kind).ToString(CultureInfo.InvariantCulture);

        private Command Devices()
        {
            var site = new Option<string>("--site") { Description = "only this site's devices" };
            var json = Json();
            var list = new Command("list", "devices as their sites last reported them") { site, json };
            list.SetAction(async (result, cancellationToken) =>
            {
                using var hub = Connect(result);
                var devices = (await hub.ListDevicesAsync(result.GetValue(site), cancellationToken)).Select(DeviceRow.Of).ToList();
                return Print(result, json, devices, CliJson.Default.ListDeviceRow, () =>
                {
                    Table.Write(
                        output,
                        ["SITE", "DEVICE", "SERIAL", "MODEL", "GROUP", "STATE", "COMPLIANT", "OS", "LAST CHECK-IN"],
                        devices.Select(d => new[]
                        {
                            d.SiteId, d.DeviceId, d.Serial, d.Model, d.Group, d.State, Compliance(d), d.OsVersion,
                            d.LastCheckinAt is { } at ? Time(at) : "never",
                        }));
                    output.WriteLine($"{devices.Count.ToString(CultureInfo.InvariantCulture)} devices, {devices.Count(d => d.Compliant == true).ToString(CultureInfo.InvariantCulture)} compliant");
                });
            });
            return new Command("devices", "devices of every site") { list };
        }

        private static string Compliance(DeviceRow d) => d.Compliant switch
        {
            true => "yes",
            false => $"no ({d.Findings.ToString(CultureInfo.InvariantCulture)})",
            null => "-",
        };

        private Command Commands()
        {
            var site = new Option<string>("--site") { Description = "the device's site (needed only when the hub does not know the device, or knows its id at several sites); with --group, only this site's devices" };
            var device = new Option<string>("--device") { Description = "device id" };
            var group = new Option<string>("--group") { Description = "every device of this group the hub knows (not retired), across sites" };
            var type = new Argument<string>("type") { Description = "lock, ring, reboot, refresh-status, clear-app-data…" };
            var parameters = new Option<string[]>("--param") { Description = "a command parameter, key=value (repeatable)", AllowMultipleArgumentsPerToken = false };
            var expires = new Option<string>("--expires") { Description = "do not deliver after this long, e.g. 2h (default: no expiry)" };
            var reason = new Option<string>("--reason") { Description = "why (kept with the command)" };
            var sendJson = Json();
            var send = new Command(
                "send",
                "queue a command for a device (--device) or for every device of a group (--group); each device's site delivers it at its next check-in. " +
                "Prints the command id alone, or one id per line for a group.")
            {
                site, device, group, type, parameters, expires, reason, sendJson,
            };
            send.SetAction(async (result, cancellationToken) =>
            {
                var (deviceId, groupName) = (NonEmpty(result.GetValue(device)), NonEmpty(result.GetValue(group)));
                if ((deviceId is null) == (groupName is null))
                    throw new CliException("give exactly one of --device ID and --group G", 2);
                var values = CommandParameters(result.GetValue(parameters));
                long? expiresIn = result.GetValue(expires) is { } text ? Seconds(ParseDuration(text, "--expires")) : null;
                using var hub = Connect(result);
                var command = new HubQueueCommand(NonEmpty(result.GetValue(site)), deviceId, result.GetValue(type)!, values, expiresIn, NonEmpty(result.GetValue(reason)), groupName);
                var queued = await hub.SendCommandAsync(command, cancellationToken);
                var asJson = result.GetValue(sendJson);
                if (groupName is null)
                {
                    await output.WriteLineAsync(asJson ? JsonSerializer.Serialize(new CommandSent(queued.Command), CliJson.Default.CommandSent) : queued.Command);
                }
                else if (asJson)
                {
                    await output.WriteLineAsync(JsonSerializer.Serialize(new GroupCommandsSent(groupName, queued.Commands), CliJson.Default.GroupCommandsSent));
                }
                else
                {
                    foreach (var id in queued.Commands)
                        await output.WriteLineAsync(id);
                }

                return 0;
            });

            return new Command("commands", "commands to devices, delivered through their site") { send, Show() };
        }

        private Command Show()
        {
            var ids = new Argument<string[]>("id") { Description = "command ids, as 'commands send' printed them", Arity = ArgumentArity.OneOrMore };
            var showJson = Json();
            var show = new Command("show", "each command's status on its device: queued, delivered, succeeded, failed or expired") { ids, showJson };
            show.SetAction(async (result, cancellationToken) =>
            {
                using var hub = Connect(result);
                var rows = new List<CommandRow>();
                foreach (var id in result.GetValue(ids)!)
                {
                    var c = await hub.GetCommandAsync(id, cancellationToken);
                    rows.Add(new CommandRow(c.Command, c.SiteId ?? "", c.DeviceId ?? "", c.Type ?? "", c.Status ?? "", c.Message ?? "", c.CreatedAt, c.ExpiresAt, c.FinishedAt, c.Reason ?? ""));
                }

                if (result.GetValue(showJson))
                {
                    // One id: the object (as before); several: an array.
                    output.WriteLine(rows.Count == 1 ? JsonSerializer.Serialize(rows[0], CliJson.Default.CommandRow) : JsonSerializer.Serialize(rows, CliJson.Default.ListCommandRow));
                    return 0;
                }

                Table.Write(
                    output,
                    ["COMMAND", "SITE", "DEVICE", "TYPE", "STATUS", "EXPIRES", "FINISHED", "RESULT"],
                    rows.Select(r => new[] { r.CommandId, r.SiteId, r.DeviceId, r.Type, r.Status, r.ExpiresAt is { } e ? Time(e) : "-", r.FinishedAt is { } f ? Time(f) : "-", r.Message }));
                if (rows.Count > 1)
                {
                    var counts = rows.GroupBy(r => r.Status, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{Number(g.Count())} {g.Key}");
                    output.WriteLine($"{Number(rows.Count)} devices: {string.Join(", ", counts)}");
                }

                if (rows.Select(r => r.Reason).Distinct(StringComparer.Ordinal).SingleOrDefault() is { Length: > 0 } why)
                    output.WriteLine($"reason: {why}");
                return 0;
            });
            return show;
        }

        private static Dictionary<string, string> CommandParameters(string[]? pairs)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in pairs ?? [])
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                    throw new CliException($"--param '{pair}' must be key=value", 2);
                values[pair[..equals]] = pair[(equals + 1)..];
            }

            return values;
        }

        private Command Tokens()
        {
            var site = new Option<string>("--site") { Description = "the site whose appliance will accept the token", Required = true };
            var group = new Option<string>("--group") { Description = "device group the token enrolls into", Required = true };
            var uses = new Option<int>("--uses") { Description = "how many enrollments the token allows", DefaultValueFactory = _ => 1 };
            var expires = new Option<string>("--expires") { Description = "lifetime, e.g. 8h, 30m, 14d", DefaultValueFactory = _ => "8h" };
            var json = Json();
            var create = new Command("create", "issue an enrollment token for a site; prints the token alone") { site, group, uses, expires, json };
            create.SetAction(async (result, cancellationToken) =>
            {
                var lifetime = ParseDuration(result.GetValue(expires)!, "--expires");
                var count = result.GetValue(uses);
                if (count < 1)
                    throw new CliException("--uses must be at least 1", 2);
                using var hub = Connect(result);
                var issued = await hub.CreateTokenAsync(result.GetValue(site)!, result.GetValue(group)!, count, lifetime, cancellationToken);
                var token = new TokenRow(issued.Token ?? "", issued.Group ?? result.GetValue(group)!, issued.Uses ?? count, issued.ExpiresAt);
                await output.WriteLineAsync(result.GetValue(json) ? JsonSerializer.Serialize(token, CliJson.Default.TokenRow) : token.Token);
                return 0;
            });
            return new Command("tokens", "enrollment tokens") { create };
        }

        private Command Report()
        {
            var site = new Option<string>("--site") { Description = "only this site" };
            var stale = new Option<string>("--stale") { Description = "a device is stale after this long without a check-in (default 24h)", DefaultValueFactory = _ => "24h" };
            var json = Json();
            var drift = new Command(
                "drift",
                "what the floor really runs, across sites: compliance per site, app versions on the devices, non-compliant devices and stale ones. " +
                "A simple report built from the devices the sites reported (GET /api/v1/devices): compliance is as each site computed it.")
            {
                site, stale, json,
            };
            drift.SetAction(async (result, cancellationToken) =>
            {
                var staleText = result.GetValue(stale)!;
                var staleAfter = ParseDuration(staleText, "--stale");
                using var hub = Connect(result);
                var devices = await hub.ListDevicesAsync(result.GetValue(site), cancellationToken);
                var report = DriftReport.Build(devices, time.GetUtcNow(), staleAfter, DurationText.Format(staleAfter));
                return Print(result, json, report, CliJson.Default.DriftReport, () => WriteDrift(report, time.GetUtcNow()));
            });
            return new Command("report", "reports across sites") { drift };
        }

        private void WriteDrift(DriftReport report, DateTimeOffset now)
        {
            if (report.Sites.Count == 0)
            {
                output.WriteLine("no devices reported yet");
                return;
            }

            Table.Write(
                output,
                ["SITE", "DEVICES", "COMPLIANT", "NOT COMPLIANT", "UNKNOWN", "STALE"],
                report.Sites.Select(r => new[]
                {
                    r.SiteId, Number(r.Devices), Number(r.Compliant), Number(r.NonCompliant), Number(r.Unknown), Number(r.Stale),
                }));
            if (report.AppVersions.Count > 0)
            {
                output.WriteLine();
                Table.Write(
                    output,
                    ["APP", "VERSION", "DEVICES", "SITES"],
                    report.AppVersions.Select(v => new[]
                    {
                        v.PackageName,
                        string.IsNullOrEmpty(v.VersionName) ? Number(v.VersionCode) : $"{v.VersionName} ({Number(v.VersionCode)})",
                        Number(v.Devices),
                        string.Join(", ", v.Sites.Select(s => $"{s.Key} {Number(s.Value)}")),
                    }));
            }

            WriteDevices("not compliant", report.NonCompliant, d => Number(d.Findings) + " findings");
            WriteDevices($"stale (no check-in for {report.StaleAfter})", report.Stale, d => d.LastCheckinAt is { } at ? Age(now - at) + " ago" : "never checked in");
        }

        private void WriteDevices(string title, IReadOnlyList<DeviceRow> devices, Func<DeviceRow, string> detail)
        {
            if (devices.Count == 0)
                return;
            output.WriteLine();
            output.WriteLine($"{title}:");
            Table.Write(
                output,
                ["SITE", "DEVICE", "SERIAL", "GROUP", "STATE", "DETAIL", "LAST CHECK-IN"],
                devices.Select(d => new[] { d.SiteId, d.DeviceId, d.Serial, d.Group, d.State, detail(d), d.LastCheckinAt is { } at ? Time(at) : "never" }));
        }

        /// <summary>JSON for scripts when --json is given, otherwise the human form.</summary>
        private int Print<T>(ParseResult result, Option<bool> json, T value, JsonTypeInfo<T> typeInfo, Action human)
        {
            if (result.GetValue(json))
                output.WriteLine(JsonSerializer.Serialize(value, typeInfo));
            else
                human();
            return 0;
        }

        private HubClient Connect(ParseResult result, TimeSpan? timeout = null)
        {
            var server = NonEmpty(result.GetValue(_server)) ?? NonEmpty(environment("EDGEMDM_SERVER"));
            var token = NonEmpty(result.GetValue(_token)) ?? NonEmpty(environment("EDGEMDM_TOKEN"));
            if (server is null || token is null)
            {
                var stored = CredentialFile.Read(CredentialsPath(result));
                server ??= stored?.Server;
                token ??= stored?.Token;
            }

            if (token is null)
                throw new CliException(NotSignedIn);
            return new HubClient(ServerUri(server ?? DefaultServer), token, timeout: timeout);
        }

        private string CredentialsPath(ParseResult result) =>
            NonEmpty(result.GetValue(_credentials)) ?? NonEmpty(environment("EDGEMDM_CREDENTIALS")) ?? CredentialFile.DefaultPath(environment);
    }

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    /// <summary>The hub's base address, always ending in '/' so API paths resolve below it.</summary>
    private static Uri ServerUri(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (!string.Equals(uri.Scheme, Uri.UriSchemeHttp, StringComparison.Ordinal) && !string.Equals(uri.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal)))
            throw new CliException($"server '{text}' is not an http:// or https:// URL", 2);
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    private static TimeSpan ParseDuration(string text, string option) =>
        DurationText.TryParse(text, out var duration) && duration > TimeSpan.Zero
            ? duration
            : throw new CliException($"{option} '{text}' is not a duration; use forms like 90s, 30m, 8h or 14d", 2);

    private static long Seconds(TimeSpan duration) => Math.Max(1, (long)Math.Ceiling(duration.TotalSeconds));

    private static string Number(ulong? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A lag in seconds as people read it: <c>0s</c>, <c>95s</c>, <c>12m</c>, <c>5h</c>, <c>3d</c>.</summary>
    private static string Lag(long seconds) => seconds switch
    {
        < 120 => Number(Math.Max(0, seconds)) + "s",
        < 2 * 3600 => Number(seconds / 60) + "m",
        < 48 * 3600 => Number(seconds / 3600) + "h",
        _ => Number(seconds / 86400) + "d",
    };

    /// <summary>Whole days, hours or minutes: <c>4d</c>, <c>5h</c>, <c>12m</c>.</summary>
    private static string Age(TimeSpan age) => age switch
    {
        { TotalDays: >= 1 } => Number((long)age.TotalDays) + "d",
        { TotalHours: >= 1 } => Number((long)age.TotalHours) + "h",
        _ => Number((long)Math.Max(0, age.TotalMinutes)) + "m",
    };

    private static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
