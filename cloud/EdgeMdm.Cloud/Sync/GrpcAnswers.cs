using System.Globalization;
using Grpc.Core;

namespace EdgeMdm.Cloud.Sync;

/// <summary>gRPC answers written by HTTP middleware (authentication, the rate limiter), before any gRPC code runs.</summary>
internal static class GrpcAnswers
{
    /// <summary>
    /// <paramref name="status"/> as a trailers-only answer: HTTP 200 with <c>grpc-status</c> and <c>grpc-message</c> in
    /// the headers, which a gRPC client reads as the call's status and trailers. A plain HTTP error status would reach
    /// it only as "Bad gRPC response. HTTP status code: ...". <paramref name="message"/> must be printable ASCII
    /// (grpc-message is percent-encoded beyond it).
    /// </summary>
    public static void TrailersOnly(HttpResponse response, StatusCode status, string message)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)status).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = message;
    }

    /// <summary><paramref name="answer"/>'s status, message and trailers (a <see cref="RetryHint"/>) as a trailers-only answer.</summary>
    public static void TrailersOnly(HttpResponse response, RpcException answer)
    {
        foreach (var entry in answer.Trailers)
            response.Headers[entry.Key] = entry.Value;
        TrailersOnly(response, answer.StatusCode, answer.Status.Detail);
    }
}
