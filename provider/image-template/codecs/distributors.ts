import * as t from "io-ts";
import {
  array,
  httpUrlOrEmpty,
  integer,
  nonEmptyString,
  object,
  oneOf,
  stringMap,
  taggedUnion,
} from "../../codecs/combinators";
import { galleryImageId, managedImageId, templateName } from "../../codecs/ids";

const StorageAccountType = oneOf("Standard_LRS", "Standard_ZRS", "Premium_LRS");

export const TargetRegion = object(
  "TargetRegion",
  { name: nonEmptyString },
  { replicaCount: integer(1), storageAccountType: StorageAccountType },
);

export const DistributeVersioner = taggedUnion("DistributeVersioner", "scheme", {
  Latest: object("Latest", { scheme: t.literal("Latest") }, { major: integer(-1) }),
  Source: object("Source", { scheme: t.literal("Source") }, {}),
});

const common = { runOutputName: templateName };
const commonOptional = { artifactTags: stringMap };

export const ManagedImageDistributor = object(
  "ManagedImageDistributor",
  { type: t.literal("ManagedImage"), ...common, imageId: managedImageId, location: nonEmptyString },
  commonOptional,
);

export const SharedImageDistributor = object(
  "SharedImageDistributor",
  { type: t.literal("SharedImage"), ...common, galleryImageId },
  {
    ...commonOptional,
    replicationRegions: array(nonEmptyString),
    excludeFromLatest: t.boolean,
    storageAccountType: StorageAccountType,
    targetRegions: array(TargetRegion),
    versioning: DistributeVersioner,
    replicationMode: oneOf("Full", "Shallow"),
  },
);

export const VhdDistributor = object(
  "VhdDistributor",
  { type: t.literal("VHD"), ...common },
  { ...commonOptional, uri: httpUrlOrEmpty },
);

export const Distributor = taggedUnion("Distributor", "type", {
  ManagedImage: ManagedImageDistributor,
  SharedImage: SharedImageDistributor,
  VHD: VhdDistributor,
});
export type Distributor = t.TypeOf<typeof Distributor>;
