/*
 * 
 *
 *
 * Original Table Header:
 *     Signature        "SSDT"
 *     Length           0x00000043 (67)
 *     Revision         0x02
 *     Checksum         0x17
 *     OEM ID           "QVMTST"
 *     OEM Table ID     "EXTRA"
 *     OEM Revision     0x00000001 (1)
 *     Compiler ID      "INTL"
 *     Compiler Version 0x20200925 (538970405)
 */
DefinitionBlock ("", "SSDT", 2, "QVMTST", "EXTRA", 0x00000001)
{
    Scope (\_SB)
    {
        Device (EXT0)
        {
            Name (_HID, EisaId ("QVM0099"))  // _HID: Hardware ID
            Name (_STA, 0x0F)  // _STA: Status
        }
    }
}

