using System.Text.Json;
using System.Text.Json.Serialization;
using Whim.Control.Config;
using Whim.Control.Heartbeats;
using Whim.Control.History;
using Whim.Control.Ports;
using Whim.Control.Tasks;
using Whim.Control.WorkspaceImages;
using Whim.Control.Workspaces;

namespace Whim.Control.Api;

/// <summary>Every type the control API reads or writes as JSON: camelCase, nulls omitted.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(Team))]
[JsonSerializable(typeof(List<Team>))]
[JsonSerializable(typeof(CreateTeamRequest))]
[JsonSerializable(typeof(Workspace))]
[JsonSerializable(typeof(List<Workspace>))]
[JsonSerializable(typeof(CreateWorkspaceRequest))]
[JsonSerializable(typeof(UpdateWorkspaceRequest))]
[JsonSerializable(typeof(User))]
[JsonSerializable(typeof(List<User>))]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(Membership))]
[JsonSerializable(typeof(List<Membership>))]
[JsonSerializable(typeof(SetMembershipRequest))]
[JsonSerializable(typeof(CreateTokenRequest))]
[JsonSerializable(typeof(TokenCreated))]
[JsonSerializable(typeof(List<IssuedToken>))]
[JsonSerializable(typeof(TaskView))]
[JsonSerializable(typeof(List<TaskView>))]
[JsonSerializable(typeof(CreateTaskRequest))]
[JsonSerializable(typeof(UpdateTaskRequest))]
[JsonSerializable(typeof(TaskCreated))]
[JsonSerializable(typeof(MachineEndpointsRequest))]
[JsonSerializable(typeof(InjectedTaskConfig))]
[JsonSerializable(typeof(Comment))]
[JsonSerializable(typeof(List<Comment>))]
[JsonSerializable(typeof(CreateCommentRequest))]
[JsonSerializable(typeof(Attachment))]
[JsonSerializable(typeof(List<Attachment>))]
[JsonSerializable(typeof(Prompt))]
[JsonSerializable(typeof(List<Prompt>))]
[JsonSerializable(typeof(SendPromptRequest))]
[JsonSerializable(typeof(ConfigLayer))]
[JsonSerializable(typeof(EffectiveConfig))]
[JsonSerializable(typeof(PortEntry))]
[JsonSerializable(typeof(PortTableRequest))]
[JsonSerializable(typeof(PortView))]
[JsonSerializable(typeof(List<PortView>))]
[JsonSerializable(typeof(PortList))]
[JsonSerializable(typeof(StreamAck))]
[JsonSerializable(typeof(StreamList))]
[JsonSerializable(typeof(SearchResults))]
[JsonSerializable(typeof(AgentStateReport))]
[JsonSerializable(typeof(Heartbeat))]
[JsonSerializable(typeof(List<Heartbeat>))]
[JsonSerializable(typeof(ImageView))]
[JsonSerializable(typeof(List<ImageView>))]
[JsonSerializable(typeof(BuildImageRequest))]
[JsonSerializable(typeof(TrackBranchRequest))]
[JsonSerializable(typeof(ReserveTargetRequest))]
[JsonSerializable(typeof(ReserveView))]
[JsonSerializable(typeof(List<ReserveView>))]
internal sealed partial class ControlJson : JsonSerializerContext;
