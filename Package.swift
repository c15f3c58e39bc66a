// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "modelctl",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "modelctl", targets: ["modelctl"]),
        .library(name: "ArtifactHashing", targets: ["ArtifactHashing"]),
        .library(name: "ModelRegistry", targets: ["ModelRegistry"]),
        .library(name: "VersionLock", targets: ["VersionLock"]),
        .library(name: "ModelCatalog", targets: ["ModelCatalog"]),
        .library(name: "ModelRuntime", targets: ["ModelRuntime"]),
        .library(name: "ModelStores", targets: ["ModelStores"]),
        .library(name: "ModelSigning", targets: ["ModelSigning"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        .systemLibrary(
            name: "CLibSSL",
            pkgConfig: "libssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        .target(name: "ArtifactHashing", dependencies: ["CLibCrypto", "SystemSupport", "ErrorSupport"], swiftSettings: strict),
        .target(name: "ErrorSupport", swiftSettings: strict),
        .target(name: "OrderedJSON", dependencies: ["ErrorSupport", "SystemSupport"], swiftSettings: strict),
        .target(name: "SystemSupport", dependencies: ["ErrorSupport"], swiftSettings: strict),
        .target(name: "ModelRegistry", dependencies: ["OrderedJSON", "SystemSupport", "ErrorSupport"], swiftSettings: strict),
        .target(name: "VersionLock", dependencies: ["ModelRegistry", "ArtifactHashing", "ModelStores", "ModelSigning", "OrderedJSON", "SystemSupport", "ErrorSupport"], swiftSettings: strict),
        .target(name: "HTTPSupport", dependencies: ["CLibSSL", "SystemSupport", "ErrorSupport"], swiftSettings: strict),
        .target(name: "ModelCatalog", dependencies: ["ModelRegistry", "HTTPSupport", "OrderedJSON", "SystemSupport", "ErrorSupport"], swiftSettings: strict),
        .target(name: "ModelRuntime", dependencies: ["ModelRegistry", "HTTPSupport", "OrderedJSON", "SystemSupport", "ErrorSupport"], swiftSettings: strict),
        .target(name: "ModelStores", dependencies: ["ArtifactHashing", "CLibCrypto", "SystemSupport", "ErrorSupport"], swiftSettings: strict),
        .target(name: "ModelSigning", dependencies: ["CLibCrypto", "ArtifactHashing", "OrderedJSON", "SystemSupport", "ErrorSupport"], swiftSettings: strict),
        .executableTarget(
            name: "modelctl",
            dependencies: [
                "ArtifactHashing", "ModelRegistry", "VersionLock", "ModelCatalog", "ModelRuntime", "OrderedJSON", "SystemSupport",
                "ModelStores", "ModelSigning", "HTTPSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "OrderedJSONTests", dependencies: ["OrderedJSON"], swiftSettings: strict),
        .testTarget(name: "SystemSupportTests", dependencies: ["SystemSupport", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ArtifactHashingTests", dependencies: ["ArtifactHashing", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ModelRegistryTests", dependencies: ["ModelRegistry", "OrderedJSON", "SystemSupport", "ArtifactHashing", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "VersionLockTests", dependencies: ["VersionLock", "ModelSigning", "ModelRegistry", "OrderedJSON", "SystemSupport", "ArtifactHashing", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ModelCatalogTests", dependencies: ["ModelCatalog", "HTTPSupport", "OrderedJSON", "SystemSupport", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ModelRuntimeTests", dependencies: ["ModelRuntime", "HTTPSupport", "OrderedJSON", "SystemSupport", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "HTTPSupportTests", dependencies: ["HTTPSupport", "SystemSupport", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ModelStoresTests", dependencies: ["ModelStores", "ArtifactHashing", "SystemSupport", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ModelSigningTests", dependencies: ["ModelSigning", "ArtifactHashing", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport"], swiftSettings: strict),
        .testTarget(name: "modelctlTests", dependencies: ["modelctl", "ErrorSupport", "ModelCatalog", "ModelRuntime", "ModelSigning", "ModelStores", "VersionLock", "HTTPSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: strict),
    ]
)
