/*
 * 
 *
 * ACPI Data Table [RSDT]
 *
 * Format: [HexOffset DecimalOffset ByteLength]  FieldName : FieldValue
 */

[000h 0000   4]                    Signature : "RSDT"    [Root System Description Table]
[004h 0004   4]                 Table Length : 00000034
[008h 0008   1]                     Revision : 01
[009h 0009   1]                     Checksum : 37
[00Ah 0010   6]                       Oem ID : "QVM   "
[010h 0016   8]                 Oem Table ID : "QVM     "
[018h 0024   4]                 Oem Revision : 00000001
[01Ch 0028   4]              Asl Compiler ID : "QVM "
[020h 0032   4]        Asl Compiler Revision : 00000001

[024h 0036   4]       ACPI Table Address   0 : FEBEF160
[028h 0040   4]       ACPI Table Address   1 : FEBEF280
[02Ch 0044   4]       ACPI Table Address   2 : FEBEF2E0
[030h 0048   4]       ACPI Table Address   3 : 00009000

Raw Table Data: Length 52 (0x34)

    0000: 52 53 44 54 34 00 00 00 01 37 51 56 4D 20 20 20  // RSDT4....7QVM   
    0010: 51 56 4D 20 20 20 20 20 01 00 00 00 51 56 4D 20  // QVM     ....QVM 
    0020: 01 00 00 00 60 F1 BE FE 80 F2 BE FE E0 F2 BE FE  // ....`...........
    0030: 00 90 00 00                                      // ....
