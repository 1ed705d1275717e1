using Whim.Control.Images;
using Whim.Control.Images.Billing;
using Whim.Control.Images.Builds;
using Whim.Control.Images.Reserves;

namespace Whim.Control.WorkspaceImages;

internal static class ImageRegistration
{
    /// <summary>
    /// Images and warm reserves (<c>control/Images</c>) on the control database: the database stores are registered
    /// first, so <see cref="ImagesRegistration.AddWhimImages"/> keeps them instead of its in-memory ones.
    /// </summary>
    public static IServiceCollection AddWorkspaceImages(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IImageStore, DbImageStore>();
        services.AddSingleton<IReserveStore, DbReserveStore>();
        services.AddSingleton<IReserveLedger, DbReserveLedger>();
        services.AddSingleton<IBranchStore, DbBranchStore>();
        return services.AddWhimImages(configuration);
    }
}
