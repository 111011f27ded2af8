namespace EdgeMdm.Cloud.Enrollment;

public static class EnrollmentServices
{
    public static IServiceCollection AddEnrollment(this IServiceCollection services) =>
        services.AddSingleton<IEnrollmentTokenStore, SqlEnrollmentTokenStore>();
}
