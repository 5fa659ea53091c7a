import * as t from "io-ts";
import { atMost, nonEmptyString, object, taggedUnion } from "../../codecs/combinators";
import { imageVersionId, managedImageId } from "../../codecs/ids";
import { BOUNDS } from "../../codecs/bounds";

const name = atMost(BOUNDS.name.max, nonEmptyString);

export const PlatformImagePurchasePlan = object(
  "PlatformImagePurchasePlan",
  { planName: name, planProduct: name, planPublisher: name },
  {},
);

export const PlatformImageSource = object(
  "PlatformImageSource",
  {
    type: t.literal("PlatformImage"),
    publisher: name,
    offer: name,
    sku: name,
    version: name,
  },
  { planInfo: PlatformImagePurchasePlan },
);

export const ManagedImageSource = object(
  "ManagedImageSource",
  { type: t.literal("ManagedImage"), imageId: managedImageId },
  {},
);

export const SharedImageVersionSource = object(
  "SharedImageVersionSource",
  { type: t.literal("SharedImageVersion"), imageVersionId },
  {},
);

/** The cmdlet's -SourceType is `source.type`; the other members are that source kind's details. */
export const Source = taggedUnion("Source", "type", {
  PlatformImage: PlatformImageSource,
  ManagedImage: ManagedImageSource,
  SharedImageVersion: SharedImageVersionSource,
});
export type Source = t.TypeOf<typeof Source>;
