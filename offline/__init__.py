"""The offline plan: every stack of the program under the Pulumi SDK's mocks, no cloud."""
