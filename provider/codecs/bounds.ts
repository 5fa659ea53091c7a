/**
 * Every bound `check` puts on a string, a list or a depth, in one table: the codecs and limits.ts take their numbers
 * from here, and `npm run docs` writes it into the README ("Limits check enforces"). `source` says where a number
 * comes from: Azure's own limit where it states one, otherwise why the bound was chosen (the API description states no
 * length for most strings, and the service would take a megabyte where a region name belongs).
 */
export interface Bound {
  max: number;
  unit: "characters" | "items" | "levels" | "bytes of JSON";
  /** The members it applies to, as paths. */
  applies: string;
  source: string;
}

/** ARM's per-resource tag limits (docs: "Tag resources, resource groups, and subscriptions", Limitations). */
export const TAG_LIMITS = { count: 50, nameLength: 512, valueLength: 256, forbidden: /[<>%&\\?/]/ };
export const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
/** ARM refuses request bodies over 4 MiB (RequestEntityTooLarge). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export const BOUNDS = {
  region: {
    max: 64,
    unit: "characters",
    applies:
      "`location`, `distribute[].location`, `distribute[].targetRegions[].name`, `distribute[].replicationRegions[]`",
    source:
      "chosen: Azure states none; its longest region name has 20 characters. `location` also goes into the operation URLs, where a 20,000-character one overflowed the HTTP headers",
  },
  name: {
    max: 256,
    unit: "characters",
    applies:
      "`vmProfileVmsize`, `vnetConfigProxyVmSize`, `source.publisher`/`offer`/`sku`/`version`, `source.planInfo.*`, `customize[].name`, `validate.inVMValidations[].name`, `customize[].restartTimeout`",
    source:
      "chosen: Azure states none; VM sizes and Marketplace ids are under 64 characters (Partner Center caps offer and plan ids at 50)",
  },
  url: {
    max: 8192,
    unit: "characters",
    applies:
      "`customize[].scriptUri`/`sourceUri`, `validate.inVMValidations[].scriptUri`/`sourceUri`, `optimize.workload.scriptUri`, `distribute[].uri`",
    source: "chosen: Azure states none; a blob URL with a 1,024-character blob name and a SAS token fits several times",
  },
  command: {
    max: 8191,
    unit: "characters",
    applies:
      "`customize[].restartCommand`/`restartCheckCommand`, `customize[].searchCriteria`, `customize[].filters[]`",
    source: "Windows: the longest command line cmd.exe runs",
  },
  path: {
    max: 4096,
    unit: "characters",
    applies: "`customize[].destination`, `validate.inVMValidations[].destination`",
    source: "chosen: Linux's PATH_MAX (Windows paths are shorter)",
  },
  inline: {
    max: 100_000,
    unit: "items",
    applies: "`customize[].inline`, `validate.inVMValidations[].inline` (each line is bounded by the 4 MiB body)",
    source: "chosen: a script longer than that belongs in `scriptUri`",
  },
  steps: {
    max: 1000,
    unit: "items",
    applies: "`customize`, `validate.inVMValidations`",
    source: "chosen: Azure states none; real templates have tens of steps",
  },
  list: {
    max: 100,
    unit: "items",
    applies:
      "`distribute`, `distribute[].targetRegions`, `distribute[].replicationRegions`, `identityUserAssignedIdentity`, `vmProfileUserAssignedIdentities`, `validExitCodes`, `filters`",
    source: "chosen: Azure states none; more than Azure has regions, and far more distributors than a build writes",
  },
  dataDisks: {
    max: 64,
    unit: "items",
    applies: "`additionalDataDisks`",
    source: "Azure: the most data disks any VM size attaches",
  },
  depth: {
    max: 32,
    unit: "levels",
    applies:
      "every argument (objects and lists inside objects and lists), `build.trigger` included; one more in a resource given to `argsFromArmTemplate` (for `properties`)",
    source:
      "chosen: the API's deepest member is 4 levels down (`distribute[].targetRegions[].name`); .NET's JSON readers refuse more than 64",
  },
  memberName: {
    max: TAG_LIMITS.nameLength,
    unit: "characters",
    applies: "every member name (map keys included)",
    source: "Azure: a tag name, the longest name the API has",
  },
  trigger: {
    max: 64 * 1024,
    unit: "bytes of JSON",
    applies: "`build.trigger`",
    source: "chosen: it is kept in the stack's state and compared on every preview; put a hash of large contents there",
  },
} as const satisfies Record<string, Bound>;

/** The longest names ARM accepts in the resource ids the arguments hold (Azure's naming rules for each type). */
export const ID_NAME_LENGTHS = {
  userAssignedIdentity: 128,
  virtualNetwork: 64,
  subnet: 80,
  image: 80,
  gallery: 80,
  /** A direct-shared gallery's unique name: "<subscription id>-<gallery name>". */
  sharedGallery: 36 + 1 + 80,
  galleryImage: 80,
  /** Major.Minor.Patch of three int32s. */
  galleryImageVersion: 32,
  resourceGroup: 90,
} as const;
