/*
 * 
 *
 * ACPI Data Table [XSDT]
 *
 * Format: [HexOffset DecimalOffset ByteLength]  FieldName : FieldValue
 */

[000h 0000   4]                    Signature : "XSDT"    [Extended System Description Table]
[004h 0004   4]                 Table Length : 00000044
[008h 0008   1]                     Revision : 01
[009h 0009   1]                     Checksum : 21
[00Ah 0010   6]                       Oem ID : "QVM   "
[010h 0016   8]                 Oem Table ID : "QVM     "
[018h 0024   4]                 Oem Revision : 00000001
[01Ch 0028   4]              Asl Compiler ID : "QVM "
[020h 0032   4]        Asl Compiler Revision : 00000001

[024h 0036   8]       ACPI Table Address   0 : 00000000FEBEF160
[02Ch 0044   8]       ACPI Table Address   1 : 00000000FEBEF280
[034h 0052   8]       ACPI Table Address   2 : 00000000FEBEF2E0
[03Ch 0060   8]       ACPI Table Address   3 : 0000000000009000

Raw Table Data: Length 68 (0x44)

    0000: 58 53 44 54 44 00 00 00 01 21 51 56 4D 20 20 20  // XSDTD....!QVM   
    0010: 51 56 4D 20 20 20 20 20 01 00 00 00 51 56 4D 20  // QVM     ....QVM 
    0020: 01 00 00 00 60 F1 BE FE 00 00 00 00 80 F2 BE FE  // ....`...........
    0030: 00 00 00 00 E0 F2 BE FE 00 00 00 00 00 90 00 00  // ................
    0040: 00 00 00 00                                      // ....
