import { main } from "@pulumi/pulumi/provider";
import { onConfigure } from "./configure";
import { configure, imageBuilderProvider } from "./provider";
import schema = require("./schema.json");

/** The plugin's entry: `pulumi-resource-azure-imagebuilder <engine address>` runs this with node (bin/). */
onConfigure((variables) => void configure(variables));
void main(imageBuilderProvider(JSON.stringify(schema), schema.version), process.argv.slice(2));
