using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Whim.Control.Images.Billing;
using Whim.Control.Images.Builds;
using Whim.Control.Images.Machines;
using Whim.Control.Images.Reserves;
using Whim.Runtime.Configuration;

namespace Whim.Control.Images;

/// <summary>The one registration of images and reserves the control API host calls.</summary>
public static class ImagesRegistration
{
    /// <summary>
    /// Registers images and warm reserves: options (section <c>Images</c>, validated at start), in-memory stores
    /// (replace <see cref="IImageStore"/>, <see cref="IReserveStore"/>, <see cref="IReserveLedger"/> and
    /// <see cref="IBranchStore"/> with database ones by registering them first), the podman machine provider, the buildah builder, the image service, the
    /// reserve pools and the reconciler loop.
    /// </summary>
    public static IServiceCollection AddWhimImages(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddValidatedOptions<ImagesOptions, ImagesOptionsValidator>().Bind(configuration.GetSection(ImagesOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IImageStore, InMemoryImageStore>();
        services.TryAddSingleton<IReserveStore, InMemoryReserveStore>();
        services.TryAddSingleton<IReserveLedger, InMemoryReserveLedger>();
        services.TryAddSingleton<IBranchStore, InMemoryBranchStore>();
        services.TryAddSingleton<PodmanMachineProvider>();
        services.TryAddSingleton<IMachineProvider>(sp => sp.GetRequiredService<PodmanMachineProvider>());
        services.TryAddSingleton<IImageBuilder, BuildahImageBuilder>();
        services.TryAddSingleton<ReserveBillingMeter>();
        services.TryAddSingleton<BranchTracker>();
        services.TryAddSingleton<ReservePools>();
        services.TryAddSingleton<ImageService>();
        // Hosted services start in order: the owned podman service answers before the reconciler's first pass.
        services.TryAddSingleton<PodmanServiceHost>();
        services.AddHostedService(static sp => sp.GetRequiredService<PodmanServiceHost>());
        services.AddHostedService<ReserveReconcilerService>();
        return services;
    }
}
