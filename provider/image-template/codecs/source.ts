import * as t from "io-ts";
import { nonEmptyString, object, taggedUnion } from "../../codecs/combinators";
import { imageVersionId, managedImageId } from "../../codecs/ids";

export const PlatformImagePurchasePlan = object(
  "PlatformImagePurchasePlan",
  { planName: nonEmptyString, planProduct: nonEmptyString, planPublisher: nonEmptyString },
  {},
);

export const PlatformImageSource = object(
  "PlatformImageSource",
  {
    type: t.literal("PlatformImage"),
    publisher: nonEmptyString,
    offer: nonEmptyString,
    sku: nonEmptyString,
    version: nonEmptyString,
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
