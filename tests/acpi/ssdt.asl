/* A user's table for `acpi load` (tests/acpi.sh compiles it with iasl). */
DefinitionBlock ("", "SSDT", 2, "QVMTST", "EXTRA", 1)
{
    Scope (\_SB)
    {
        Device (EXT0)
        {
            Name (_HID, EisaId ("QVM0099"))
            Name (_STA, 0x0F)
        }
    }
}
