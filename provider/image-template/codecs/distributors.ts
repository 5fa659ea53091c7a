import * as t from "io-ts";
import {
  array,
  atMost,
  httpUrlOrEmpty,
  integer,
  nonEmptyString,
  object,
  oneOf,
  stringMap,
  taggedUnion,
} from "../../codecs/combinators";
import { galleryImageId, managedImageId, templateName } from "../../codecs/ids";
import { BOUNDS } from "../../codecs/bounds";

const StorageAccountType = oneOf("Standard_LRS", "Standard_ZRS", "Premium_LRS");
const region = atMost(BOUNDS.region.max, nonEmptyString);

export const TargetRegion = object(
  "TargetRegion",
  { name: region },
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
  { type: t.literal("ManagedImage"), ...common, imageId: managedImageId, location: region },
  commonOptional,
);

export const SharedImageDistributor = object(
  "SharedImageDistributor",
  { type: t.literal("SharedImage"), ...common, galleryImageId },
  {
    ...commonOptional,
    replicationRegions: array(region, { maxItems: BOUNDS.list.max }),
    excludeFromLatest: t.boolean,
    storageAccountType: StorageAccountType,
    targetRegions: array(TargetRegion, { maxItems: BOUNDS.list.max }),
    versioning: DistributeVersioner,
    replicationMode: oneOf("Full", "Shallow"),
  },
);

export const VhdDistributor = object(
  "VhdDistributor",
  { type: t.literal("VHD"), ...common },
  { ...commonOptional, uri: atMost(BOUNDS.url.max, httpUrlOrEmpty) },
);

export const Distributor = taggedUnion("Distributor", "type", {
  ManagedImage: ManagedImageDistributor,
  SharedImage: SharedImageDistributor,
  VHD: VhdDistributor,
});
export type Distributor = t.TypeOf<typeof Distributor>;
