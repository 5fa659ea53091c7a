import { main } from "@pulumi/pulumi/provider";
import { fillServerGaps } from "./requests";
import { configure, imageBuilderProvider } from "./provider";
import schema = require("./schema.json");

/** The plugin's entry: `pulumi-resource-azure-imagebuilder <engine address>` runs this with node (bin/). */
fillServerGaps((variables) => void configure(variables));
void main(imageBuilderProvider(JSON.stringify(schema), schema.version), process.argv.slice(2));
