using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Api;

/// <summary>
/// JSON of the REST API: camelCase, nulls left out, enums as strings; blueprints as the edge writes them. One
/// context for every feature's bodies (each declared beside its endpoints), so the API has one set of options.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(Blueprint))]
[JsonSerializable(typeof(List<Blueprint>))]
[JsonSerializable(typeof(CreateSiteRequest))]
[JsonSerializable(typeof(SiteCreated))]
[JsonSerializable(typeof(List<SiteView>))]
[JsonSerializable(typeof(SiteView))]
[JsonSerializable(typeof(RenameSiteRequest))]
[JsonSerializable(typeof(BlueprintSaved))]
[JsonSerializable(typeof(IssueTokenRequest))]
[JsonSerializable(typeof(TokenIssued))]
[JsonSerializable(typeof(QueueCommandRequest))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string?>))]
[JsonSerializable(typeof(CommandQueued))]
[JsonSerializable(typeof(CommandsQueued))]
[JsonSerializable(typeof(ApprovalRecord))]
[JsonSerializable(typeof(List<ApprovalRecord>))]
[JsonSerializable(typeof(CommandRecord))]
[JsonSerializable(typeof(List<DeviceRecord>))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(SignedIn))]
[JsonSerializable(typeof(AddAccountRequest))]
[JsonSerializable(typeof(AccountAdded))]
[JsonSerializable(typeof(List<AccountView>))]
[JsonSerializable(typeof(AccountView))]
[JsonSerializable(typeof(CallerView))]
[JsonSerializable(typeof(SetAccountRoleRequest))]
[JsonSerializable(typeof(SiteUserRequest))]
[JsonSerializable(typeof(SiteUserSaved))]
[JsonSerializable(typeof(List<SiteUserRecord>))]
[JsonSerializable(typeof(SigningKeyView))]
[JsonSerializable(typeof(PackageView))]
[JsonSerializable(typeof(List<PackageView>))]
[JsonSerializable(typeof(List<RolloutView>))]
[JsonSerializable(typeof(StagingPlanView))]
[JsonSerializable(typeof(List<StagingPlanView>))]
[JsonSerializable(typeof(StagingPlanSaved))]
[JsonSerializable(typeof(StagingPlanComparison))]
[JsonSerializable(typeof(List<StagingStepRecord>))]
[JsonSerializable(typeof(List<CustodyEventView>))]
[JsonSerializable(typeof(CustodyVerificationView))]
[JsonSerializable(typeof(EdgeMdm.Cloud.Audit.AuditVerificationView))]
[JsonSerializable(typeof(DeviceDetailView))]
[JsonSerializable(typeof(FleetCompliance))]
internal sealed partial class ApiJson : JsonSerializerContext;
