// Kept because state written by earlier versions requires this path for the trigger's serialized provider.
import imageTemplateTriggerProvider = require("./trigger/provider");
export = imageTemplateTriggerProvider;
