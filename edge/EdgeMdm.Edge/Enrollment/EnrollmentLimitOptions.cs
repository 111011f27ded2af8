namespace EdgeMdm.Edge.Enrollment;

/// <summary>How often one network address may try to enroll (section <c>Edge:Limits</c>), under rate-limiter policy <see cref="Policy"/>.</summary>
public sealed class EnrollmentLimitOptions
{
    public const string Policy = "enrollment";

    /// <summary>
    /// Enrollments a second from one address, with twenty seconds' worth at once (a cart of 200 devices staged together
    /// behind one access point that translates their addresses); 0 lifts it. A flood from one address does not get to
    /// take the writer from the floor.
    /// </summary>
    public int EnrollmentsPerSecondPerAddress { get; set; } = 10;
}
