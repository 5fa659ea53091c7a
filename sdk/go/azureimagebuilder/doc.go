// Azure VM Image Builder templates with honest update-or-replace diffs, image builds from pulumi up with their logs, and adoption of existing templates.
package azureimagebuilder
